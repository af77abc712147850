//! latchkey-store: one [`Store`] trait of domain operations, implemented over SQL for SQLite
//! (embedded default) and PostgreSQL. The backend is chosen once, from the database URL.
//!
//! Records are stored as JSON documents of the wire objects, with the columns that are searched
//! or constrained (slugs, external ids, emails) beside them; uniqueness is enforced by the
//! database and surfaced as [`Conflict`], never by check-then-insert.
#![forbid(unsafe_code)]

mod assertion_grants;
mod audit;
mod client_metadata;
mod connected_apps;
mod device;
mod flows;
mod governance;
mod grants;
mod health;
mod keys;
mod m2m_clients;
mod magic_links;
mod members;
mod mfa;
mod oauth;
mod organizations;
// Issue 13 item 3: one-time passcodes (0021).
mod otps;
mod password_reset;
mod passwords;
mod pending;
mod pool;
mod projects;
mod purge;
mod query;
mod rbac;
mod redirect_urls;
mod registrations;
mod resources;
mod sdk_origins;
mod sessions;
mod sql;
mod token_writes;
// Issue 15 item 4: db copy / db backup.
mod transfer;

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use latchkey_core::connected_app::{ClientCredentials, RotationError};
use latchkey_core::oauth::RbacPolicy;
use latchkey_core::search::{MemberFilter, OrgFilter, Search};
use latchkey_core::secret::SecretHash;
use latchkey_core::session::SessionRecord;
use latchkey_types::{AuditEvent, ConnectedApp, Member, Organization};

pub use assertion_grants::SpentAssertion;
pub use audit::{AuditFilter, AuditPage};
pub use client_metadata::ClientMetadataDocument;
pub use governance::ClientApproval;
pub use health::{MigrationStatus, PoolStats};
pub use keys::{KeyChange, StoredSigningKey};
pub use mfa::{
    MfaCompletion, MfaOutcome, NewRecoveryCode, SecondFactorProof, SessionWrite,
    StoredRecoveryCode, TotpRegistration,
};
pub use oauth::{AccessRow, AccessStatus, CodeRedemption, ConsentRow, NewRefresh, StoredRefresh};
pub use otps::{OtpClaim, OtpStore};
pub use passwords::{FailureSubject, MemberLock, MemberPassword};
pub use purge::{PurgePolicy, PurgeReport};
pub use registrations::{DynamicClient, NewDynamicClient, RegistrationOutcome};
pub use sql::SqlStore;
pub use transfer::{CopyReport, TransferError};

/// A project as listed by the CLI. Its secrets are never readable, only their hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    pub project_id: String,
    pub name: String,
    pub public_token: String,
    pub created_at: i64,
}

/// A project and its first secret, as created.
#[derive(Debug)]
pub struct NewProject {
    pub project: ProjectRecord,
    pub secret_id: String,
    pub secret_hash: SecretHash,
    pub secret_last_four: String,
}

/// How a member is looked up inside an organization.
#[derive(Debug, Clone, Copy)]
pub enum MemberLookup<'a> {
    /// A `member_id`, or the member's `external_id` (Stytch accepts either).
    IdOrExternalId(&'a str),
    Email(&'a str),
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matches of the whole query, all pages.
    pub total: i64,
    /// Set when more results follow: the keyset position to continue after.
    pub next_after: Option<i64>,
}

/// A Connected App as created: the client and the hash of its secret (confidential types).
/// `app.client_secret_last_four` is stored beside the hash.
#[derive(Debug)]
pub struct NewConnectedApp {
    pub app: ConnectedApp,
    pub secret_hash: Option<SecretHash>,
}

/// A secret operation on a Connected App (spec §13.4), applied with a conditional write.
#[derive(Debug, Clone, Copy)]
pub enum SecretRotation<'a> {
    /// Store a next secret; only when the client has a secret and no next one.
    Start {
        hash: &'a SecretHash,
        last_four: &'a str,
    },
    /// The next secret becomes the current one; only while rotating.
    Complete,
    /// Drop the next secret; only while rotating.
    Cancel,
}

/// What a secret operation did.
#[derive(Debug, Clone, PartialEq)]
pub enum RotationOutcome {
    /// Applied; the client as it now is.
    Done(Box<ConnectedApp>),
    /// No such client in the project.
    NotFound,
    /// Refused in the client's state (public, already rotating, not rotating).
    Refused(RotationError),
}

/// A new M2M client (issue 14) and the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewM2MClient {
    pub client: latchkey_types::M2MClient,
    pub secret_hash: SecretHash,
}

/// What a secret operation on an M2M client did.
#[derive(Debug, Clone, PartialEq)]
pub enum M2MRotationOutcome {
    Done(Box<latchkey_types::M2MClient>),
    NotFound,
    Refused(RotationError),
}

/// A stored magic link token (its hash is the key and is not repeated here).
#[derive(Debug, Clone, PartialEq)]
pub struct MagicLinkRecord {
    pub project_id: String,
    pub organization_id: String,
    pub member_id: String,
    /// `login`, `signup` or `invite` (`core::magic_link::LinkKind`).
    pub kind: String,
    pub redirect_url: String,
    pub pkce_code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub created_at: i64,
}

/// The outcome of redeeming a magic link token.
#[derive(Debug, Clone, PartialEq)]
pub enum Consumed {
    /// This caller redeemed it (now marked used).
    Ok(MagicLinkRecord),
    NotFound,
    AlreadyUsed,
    Expired,
}

/// A message in the local outbox (mail kept in the database when no SMTP server is set).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxMessage {
    /// Assigned by the store; ignored on insert.
    pub id: i64,
    pub project_id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub link: String,
    pub created_at: i64,
    /// `email`, or `sms` (an SMS kept when no SMS webhook is configured: `to_address` is the
    /// phone number, `text_body` the message, `subject` and `link` empty).
    pub channel: String,
}

/// An authorization request in progress on the hosted page (`data` is the server's JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAuthorization {
    /// SHA-256 hash of the random id in the browser's cookie.
    pub id_hash: String,
    pub project_id: String,
    pub data: String,
    pub expires_at: i64,
    pub created_at: i64,
}

/// A uniqueness rule the write would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    OrganizationSlug,
    OrganizationExternalId,
    MemberEmail,
    MemberExternalId,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("uniqueness conflict: {0:?}")]
    Conflict(Conflict),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The domain operations the server needs. Every method is one transaction.
#[async_trait]
pub trait Store: OtpStore + Send + Sync {
    /// Which engine this is, for logs and `--help` output.
    fn engine(&self) -> &'static str;
    /// Closes connections (graceful shutdown).
    async fn close(&self);

    // Projects.
    async fn create_project(&self, p: &NewProject) -> Result<()>;
    async fn list_projects(&self) -> Result<Vec<ProjectRecord>>;
    async fn project_secret_hashes(&self, project_id: &str) -> Result<Vec<SecretHash>>;

    // Organizations. `key` is an organization_id, slug or external id.
    async fn insert_organization(&self, project_id: &str, org: &Organization) -> Result<()>;
    async fn get_organization(&self, project_id: &str, key: &str) -> Result<Option<Organization>>;
    async fn get_organizations(
        &self,
        project_id: &str,
        ids: &[String],
    ) -> Result<Vec<Organization>>;
    /// Replaces the stored organization; false when it no longer exists.
    async fn update_organization(&self, project_id: &str, org: &Organization) -> Result<bool>;
    /// Deletes the organization and its members; false when it did not exist.
    async fn delete_organization(&self, project_id: &str, organization_id: &str) -> Result<bool>;
    async fn search_organizations(
        &self,
        project_id: &str,
        q: &Search<OrgFilter>,
    ) -> Result<Page<Organization>>;
    async fn count_members(&self, organization_id: &str) -> Result<i64>;

    // Members (stored with their directly assigned roles only).
    async fn insert_member(&self, project_id: &str, m: &Member) -> Result<()>;
    async fn get_member(
        &self,
        organization_id: &str,
        key: MemberLookup<'_>,
    ) -> Result<Option<Member>>;
    /// A member of any organization of the project, by member_id.
    /// The organization (id, slug or external id) and its member (id or external id), read
    /// together; `None` when the organization does not exist.
    async fn member_with_organization(
        &self,
        project_id: &str,
        org_key: &str,
        member_key: &str,
    ) -> Result<Option<(Organization, Option<Member>)>>;
    async fn get_member_in_project(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<Option<Member>>;
    async fn update_member(&self, m: &Member) -> Result<bool>;
    async fn delete_member(&self, organization_id: &str, member_id: &str) -> Result<bool>;
    async fn search_members(
        &self,
        project_id: &str,
        organization_ids: &[String],
        q: &Search<MemberFilter>,
    ) -> Result<Page<Member>>;

    // Signing keys.
    async fn signing_keys(&self, project_id: &str) -> Result<Vec<StoredSigningKey>>;
    /// Applies a key rotation atomically; false when another writer changed the keys first.
    async fn change_signing_keys(&self, project_id: &str, change: &KeyChange) -> Result<bool>;

    // Member sessions (tokens as hashes).
    async fn insert_session(&self, s: &SessionRecord, token_hash: &SecretHash) -> Result<()>;
    /// Gives a live session one more token (what `sessions/exchange_access_token` returns);
    /// false when the session does not exist in the project or has expired at `now`. The token
    /// lives as long as the session.
    async fn add_session_token(
        &self,
        project_id: &str,
        member_session_id: &str,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool>;
    /// The session with this token: its first one or any added since.
    async fn session_by_token(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
    ) -> Result<Option<SessionRecord>>;
    async fn session_by_id(
        &self,
        project_id: &str,
        member_session_id: &str,
    ) -> Result<Option<SessionRecord>>;
    async fn update_session(&self, s: &SessionRecord) -> Result<bool>;
    async fn delete_session(&self, project_id: &str, member_session_id: &str) -> Result<bool>;
    async fn delete_member_sessions(&self, project_id: &str, member_id: &str) -> Result<u64>;
    /// Unexpired sessions of a member.
    async fn list_sessions(
        &self,
        project_id: &str,
        member_id: &str,
        now: i64,
    ) -> Result<Vec<SessionRecord>>;
    async fn purge_expired_sessions(&self, now: i64) -> Result<u64>;

    // The authorization server (Connected Apps).
    /// The project's refresh-successor key; `candidate` is stored if none exists yet.
    async fn refresh_key(&self, project_id: &str, candidate: &str) -> Result<String>;
    /// Stores a new authorization code and, in the same transaction, the consent it was
    /// issued under and the event that logs it (Submit records all or none).
    async fn insert_code(
        &self,
        code_hash: &str,
        record: &latchkey_core::oauth::code::CodeRecord,
        consent: Option<&ConsentRow>,
        event: Option<&AuditEvent>,
    ) -> Result<()>;
    /// Spends a code presented by `client_id` atomically: exactly one concurrent caller gets
    /// `Fresh`. A code issued to another client is `NotFound` and stays unspent.
    async fn redeem_code(
        &self,
        code_hash: &str,
        client_id: &str,
        now: i64,
    ) -> Result<CodeRedemption>;
    async fn issue_tokens(&self, access: &AccessRow, refresh: Option<&NewRefresh>) -> Result<bool>;
    async fn get_refresh(&self, token_hash: &str) -> Result<Option<StoredRefresh>>;
    /// Spends a rotating refresh token for its successor; false if another request did first.
    async fn rotate_refresh(
        &self,
        old_hash: &str,
        now: i64,
        successor: &NewRefresh,
        access: &AccessRow,
    ) -> Result<bool>;
    async fn slide_refresh(
        &self,
        token_hash: &str,
        expires_at: i64,
        access: &AccessRow,
    ) -> Result<bool>;
    async fn record_access(&self, access: &AccessRow) -> Result<bool>;
    /// Revokes every refresh and access token (and unspent code) of a grant.
    async fn revoke_grant(&self, grant_id: &str, now: i64) -> Result<()>;
    async fn access_status(&self, jti: &str) -> Result<Option<AccessStatus>>;
    /// Marks an access token exchanged for a session; true only the first time.
    async fn exchange_access(&self, jti: &str, now: i64) -> Result<bool>;
    async fn upsert_consent(&self, c: &ConsentRow) -> Result<()>;
    async fn member_consents(&self, project_id: &str, member_id: &str) -> Result<Vec<ConsentRow>>;
    async fn organization_consents(
        &self,
        project_id: &str,
        organization_id: &str,
    ) -> Result<Vec<ConsentRow>>;
    /// Deletes the consent and revokes the client's tokens for the member, with the event that
    /// logs it; false (and no event) if none existed.
    async fn revoke_consent(
        &self,
        member_id: &str,
        client_id: &str,
        now: i64,
        event: Option<&AuditEvent>,
    ) -> Result<bool>;
    // Connected Apps. Client secrets are stored only as hashes; the documents returned carry
    // `client_secret_last_four` / `next_client_secret_last_four` from the secret columns.
    async fn insert_connected_app(&self, project_id: &str, new: &NewConnectedApp) -> Result<()>;
    async fn get_connected_app(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<Option<ConnectedApp>>;
    /// Replaces the client's settings (never its secrets); false when it no longer exists.
    async fn update_connected_app(&self, project_id: &str, app: &ConnectedApp) -> Result<bool>;
    /// False when it did not exist.
    async fn delete_connected_app(&self, project_id: &str, client_id: &str) -> Result<bool>;
    /// Keyset-paginated in creation order (no filters).
    async fn search_connected_apps(
        &self,
        project_id: &str,
        q: &Search<()>,
    ) -> Result<Page<ConnectedApp>>;
    /// Applies a secret operation atomically: concurrent calls cannot both pass its check.
    async fn rotate_connected_app_secret(
        &self,
        project_id: &str,
        client_id: &str,
        step: SecretRotation<'_>,
    ) -> Result<RotationOutcome>;
    /// The client's type and secret hashes, for client authentication (any project; generated
    /// client ids are globally unique).
    async fn connected_app_credentials(
        &self,
        client_id: &str,
    ) -> Result<Option<(ClientCredentials, ConnectedApp)>>;
    /// The same within one project: the only lookup for a metadata-document client, whose id
    /// (its URL) may name a client in several projects.
    async fn connected_app_credentials_in(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<Option<(ClientCredentials, ConnectedApp)>>;
    // Issue 10: clients known by a client ID metadata document.
    async fn client_metadata_document(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<Option<ClientMetadataDocument>>;
    /// Inserts or replaces the client and its document in one transaction; returns the client
    /// as stored.
    async fn save_client_metadata_document(
        &self,
        app: &ConnectedApp,
        doc: &ClientMetadataDocument,
    ) -> Result<(ClientCredentials, ConnectedApp)>;
    // RBAC: the operator's custom policy (Stytch's defaults are not stored).
    async fn get_rbac_policy(&self, project_id: &str) -> Result<Option<RbacPolicy>>;
    /// Inserts or replaces the project's policy.
    async fn set_rbac_policy(
        &self,
        project_id: &str,
        policy: &RbacPolicy,
        updated_at: i64,
    ) -> Result<()>;
    // Member passwords and failed-attempt counters.
    /// Sets (or replaces) a member's password and writes its `member_password_id` into the member
    /// in the same transaction; false when the member does not exist.
    async fn set_member_password(&self, p: &MemberPassword) -> Result<bool>;
    /// Inserts a new member together with its password (`passwords/migrate` creating a member).
    async fn insert_member_with_password(
        &self,
        project_id: &str,
        m: &Member,
        p: &MemberPassword,
    ) -> Result<()>;
    async fn member_password(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<Option<MemberPassword>>;
    /// Replaces the stored hash only if it is still `expected_hash` (an imported or outdated hash
    /// being upgraded after a successful login); false when it changed meanwhile.
    async fn upgrade_password_hash(
        &self,
        member_id: &str,
        expected_hash: &str,
        new_hash: &str,
        new_kind: &str,
    ) -> Result<bool>;
    /// Counts one failure in the subject's window (restarting a window older than `window_secs`)
    /// and returns the failures in the current window.
    async fn record_password_failure(
        &self,
        project_id: &str,
        subject: FailureSubject<'_>,
        now: i64,
        window_secs: i64,
    ) -> Result<i64>;
    /// Failures in the subject's current window (0 when the window has ended).
    async fn password_failures(
        &self,
        project_id: &str,
        subject: FailureSubject<'_>,
        now: i64,
        window_secs: i64,
    ) -> Result<i64>;
    async fn clear_password_failures(
        &self,
        project_id: &str,
        subject: FailureSubject<'_>,
    ) -> Result<()>;
    /// Drops counters whose window started at or before `before`.
    async fn purge_password_failures(&self, before: i64) -> Result<u64>;
    /// Sets or clears the lock shown on the Member object; false when the member does not exist.
    async fn set_member_lock(
        &self,
        organization_id: &str,
        member_id: &str,
        lock: Option<&MemberLock>,
    ) -> Result<bool>;
    // Email magic links (tokens as hashes) and the local outbox.
    async fn insert_magic_link(&self, token_hash: &SecretHash, t: &MagicLinkRecord) -> Result<()>;
    /// Reads a token without redeeming it.
    async fn magic_link(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
    ) -> Result<Option<MagicLinkRecord>>;
    /// Redeems a token atomically: only one caller ever gets [`Consumed::Ok`].
    async fn consume_magic_link(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<Consumed>;
    /// Deletes tokens that expired at or before `before`.
    async fn purge_magic_links(&self, before: i64) -> Result<u64>;
    /// Stores a message; returns its id.
    async fn add_to_outbox(&self, m: &OutboxMessage) -> Result<i64>;
    /// Newest first, of one project or all.
    // The hosted authorization page.
    /// Members with this email in any organization of the project, oldest first.
    async fn members_by_email(&self, project_id: &str, email: &str) -> Result<Vec<Member>>;
    async fn insert_pending_authorization(&self, p: &PendingAuthorization) -> Result<()>;
    /// The unexpired request with this id hash.
    async fn pending_authorization(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<PendingAuthorization>>;
    /// Replaces its `data`; false when it no longer exists.
    async fn update_pending_authorization(&self, id_hash: &str, data: &str) -> Result<bool>;
    /// True for exactly one of any number of concurrent callers.
    async fn delete_pending_authorization(&self, id_hash: &str) -> Result<bool>;
    async fn list_outbox(&self, project_id: Option<&str>, limit: i64)
        -> Result<Vec<OutboxMessage>>;

    // sec-oauth: purging.
    /// Deletes expired codes, tokens, empty families, pending authorizations, magic-link tokens
    /// and sessions in bounded batches (each its own short transaction).
    async fn purge_expired(&self, policy: PurgePolicy) -> Result<PurgeReport>;
    // --- branch sec-auth (issue 9 #2, #16, item 7) ---
    /// Updates a member whose email changed and, in the same transaction, ends all their
    /// sessions and unused magic links (Stytch resets verification on an email change, and a
    /// session or link made for the old address must not vouch for the new one). False when
    /// there is no such member.
    async fn update_member_ending_sessions(&self, project_id: &str, m: &Member) -> Result<bool>;
    /// `passwords/migrate` on an existing member: the profile update and the new password (its
    /// id written into the member) in one transaction. False when there is no such member.
    async fn replace_member_password(&self, m: &Member, p: &MemberPassword) -> Result<bool>;
    /// `sessions/exchange_access_token`: spends the access token `jti`, stores the extended
    /// `session` and adds `token_hash` to it, all or nothing. False (and nothing written) when
    /// the token was already exchanged or revoked, or the session is gone or expired at `now`.
    async fn exchange_access_token(
        &self,
        jti: &str,
        session: &SessionRecord,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool>;
    /// The project's registered magic-link redirect URLs, sorted.
    async fn redirect_urls(&self, project_id: &str) -> Result<Vec<String>>;
    /// Registers a redirect URL; false when it already was.
    async fn add_redirect_url(&self, project_id: &str, url: &str, now: i64) -> Result<bool>;
    /// Unregisters a redirect URL; false when it was not registered.
    async fn remove_redirect_url(&self, project_id: &str, url: &str) -> Result<bool>;
    // --- branch `resources`: resource servers (RFC 8707). A second resource with the same URL
    // in a project is `Conflict::Other`.
    async fn insert_resource_server(
        &self,
        project_id: &str,
        r: &latchkey_types::ResourceServer,
    ) -> Result<()>;
    async fn get_resource_server(
        &self,
        project_id: &str,
        resource_id: &str,
    ) -> Result<Option<latchkey_types::ResourceServer>>;
    /// Replaces the document (and URL); false when it no longer exists.
    async fn update_resource_server(
        &self,
        project_id: &str,
        r: &latchkey_types::ResourceServer,
    ) -> Result<bool>;
    async fn delete_resource_server(&self, project_id: &str, resource_id: &str) -> Result<bool>;
    /// Keyset-paginated in creation order; `url` (canonical) filters to that resource.
    async fn search_resource_servers(
        &self,
        project_id: &str,
        url: Option<&str>,
        q: &Search<()>,
    ) -> Result<Page<latchkey_types::ResourceServer>>;
    /// A resource of any project by its (globally unique) id, for its public metadata.
    async fn find_resource_server(
        &self,
        resource_id: &str,
    ) -> Result<Option<latchkey_types::ResourceServer>>;
    /// Every resource of the project, in creation order (read only when a request names one).
    async fn project_resource_servers(
        &self,
        project_id: &str,
    ) -> Result<Vec<latchkey_types::ResourceServer>>;
    // --- branch sdk: the frontend SDK surface (/sdk/v1), migration 0014 ---
    /// The project whose public token this is.
    async fn project_by_public_token(&self, public_token: &str) -> Result<Option<ProjectRecord>>;
    /// The project's authorized origins, sorted.
    async fn sdk_origins(&self, project_id: &str) -> Result<Vec<String>>;
    /// Adds an origin; false when it was already there.
    async fn add_sdk_origin(&self, project_id: &str, origin: &str, now: i64) -> Result<bool>;
    /// Removes an origin; false when it was not there.
    async fn remove_sdk_origin(&self, project_id: &str, origin: &str) -> Result<bool>;
    /// Whether any project authorizes this origin (CORS preflights name no project).
    async fn sdk_origin_known(&self, origin: &str) -> Result<bool>;
    // Branch mcp (issue 10): self-registered clients (RFC 7591 / 7592) and their settings.
    /// The project's registration settings document, if one was ever set.
    async fn client_registration_settings(
        &self,
        project_id: &str,
    ) -> Result<Option<serde_json::Value>>;
    async fn set_client_registration_settings(
        &self,
        project_id: &str,
        data: &serde_json::Value,
    ) -> Result<()>;
    /// Deduplication, the per-project cap and both rows in one transaction.
    async fn register_dynamic_client(
        &self,
        project_id: &str,
        new: &NewDynamicClient<'_>,
    ) -> Result<RegistrationOutcome>;
    /// The client whose RFC 7592 registration access token has this hash.
    async fn dynamic_client_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(ConnectedApp, DynamicClient)>>;
    async fn dynamic_client(&self, client_id: &str) -> Result<Option<DynamicClient>>;
    /// Client settings and registration metadata together; false when the client is gone.
    async fn update_dynamic_client(
        &self,
        app: &ConnectedApp,
        metadata: &str,
        dedup_key: Option<&str>,
    ) -> Result<bool>;
    /// Records a use (at most one write per client per day).
    async fn touch_dynamic_client(&self, client_id: &str, now: i64) -> Result<()>;
    /// Deletes the project's registrations not used since `before`; returns how many.
    async fn purge_unused_dynamic_clients(&self, project_id: &str, before: i64) -> Result<u64>;
    /// Records a client assertion's jti; false when it was seen before (a replay).
    async fn use_client_assertion_jti(&self, jti_hash: &str, expires_at: i64) -> Result<bool>;
    async fn purge_client_assertion_jtis(&self, now: i64) -> Result<u64>;
    /// Revokes a client for a whole organization in one transaction: every member's consent,
    /// unspent code, refresh token and access token, and the event that logs it. Returns how
    /// many consents ended.
    async fn revoke_organization_client(
        &self,
        organization_id: &str,
        client_id: &str,
        now: i64,
        event: Option<&AuditEvent>,
    ) -> Result<u64>;
    /// Per client, the latest expiry of an access token issued to the organization's members.
    async fn organization_client_activity(
        &self,
        organization_id: &str,
    ) -> Result<Vec<(String, i64)>>;

    // ops (issue 15): readiness and pool metrics. Read only.
    /// One read of the migration bookkeeping: the database answers and this build's migrations
    /// are all applied.
    async fn migration_status(&self) -> Result<MigrationStatus>;
    /// Open and idle connections of the read pool (no I/O).
    fn pool_stats(&self) -> PoolStats;

    // branch h11 (issue 11 item 5): approvals of clients, and the one audit event store.
    /// Appends events in one transaction (decisions with no other write).
    async fn record_events(&self, events: &[AuditEvent]) -> Result<()>;
    /// A project's events, newest first, by organization and action when given.
    async fn audit_events(&self, filter: &AuditFilter<'_>) -> Result<AuditPage>;
    async fn client_approval(
        &self,
        organization_id: &str,
        client_id: &str,
    ) -> Result<Option<ClientApproval>>;
    async fn organization_client_approvals(
        &self,
        organization_id: &str,
    ) -> Result<Vec<ClientApproval>>;
    /// Records a pending request unless the organization has a record for the client already;
    /// the event only with a new record (one transaction). Returns the record as it now is.
    async fn request_client_approval(
        &self,
        request: &ClientApproval,
        event: &AuditEvent,
    ) -> Result<ClientApproval>;
    /// Sets an approval or a denial (creating the record when there is none) with its event; a
    /// denial also revokes what members granted the client (as
    /// [`Store::revoke_organization_client`]), all in one transaction. Returns how many
    /// consents a denial ended.
    async fn decide_client_approval(
        &self,
        decision: &ClientApproval,
        event: &AuditEvent,
    ) -> Result<u64>;
    /// Issue 15 item 5: deletes audit events older than `before`, at most `batch`.
    async fn purge_audit_events(&self, before: i64, batch: i64) -> Result<u64>;
    // First run (issue 15 item 7): whether any project exists (one indexed row read).
    async fn has_projects(&self) -> Result<bool>;
    // M2M clients (issue 14). Client ids are unique across projects (and distinct from
    // Connected App ids); secrets are stored only as hashes.
    /// `Conflict::Other` when the client id is taken.
    async fn insert_m2m_client(&self, project_id: &str, new: &NewM2MClient) -> Result<()>;
    async fn get_m2m_client(
        &self,
        project_id: &str,
        client_id: &str,
    ) -> Result<Option<latchkey_types::M2MClient>>;
    /// Writes the settings document only; false if the client does not exist.
    async fn update_m2m_client(
        &self,
        project_id: &str,
        client: &latchkey_types::M2MClient,
    ) -> Result<bool>;
    async fn delete_m2m_client(&self, project_id: &str, client_id: &str) -> Result<bool>;
    /// Every client of the project with its creation sequence, oldest first.
    async fn list_m2m_clients(
        &self,
        project_id: &str,
    ) -> Result<Vec<(i64, latchkey_types::M2MClient)>>;
    async fn rotate_m2m_client_secret(
        &self,
        project_id: &str,
        client_id: &str,
        step: SecretRotation<'_>,
    ) -> Result<M2MRotationOutcome>;
    /// The client and its secret hashes, in any project (the token endpoint).
    async fn m2m_client_credentials(
        &self,
        client_id: &str,
    ) -> Result<Option<latchkey_core::m2m::M2MCredentials>>;
    // Password reset (issue 13 item 6).
    /// Sets `p` (clearing any reset mark), writes the member's profile with its
    /// `member_password_id`, ends the member's sessions but `keep_session` and their unused reset
    /// links, in one transaction. False when there is no such member.
    async fn reset_member_password(
        &self,
        m: &Member,
        p: &MemberPassword,
        keep_session: Option<&str>,
    ) -> Result<bool>;
    /// Marks the member's password as needing a reset (`passwords/email/require_reset`); false
    /// when the member has no password.
    async fn require_password_reset(&self, project_id: &str, member_id: &str) -> Result<bool>;
    // Branch grants (issue 14 items 3 and 7): trusted identity assertion issuers and the
    // jwt-bearer grant (migration 0022).
    /// `Conflict::Other` when an organization of the project already trusts the issuer.
    async fn insert_assertion_issuer(
        &self,
        project_id: &str,
        issuer: &latchkey_types::IdentityAssertionIssuer,
    ) -> Result<()>;
    /// An organization's issuers, oldest first.
    async fn assertion_issuers(
        &self,
        organization_id: &str,
    ) -> Result<Vec<latchkey_types::IdentityAssertionIssuer>>;
    async fn get_assertion_issuer(
        &self,
        organization_id: &str,
        issuer_id: &str,
    ) -> Result<Option<latchkey_types::IdentityAssertionIssuer>>;
    /// The issuer with this exact `iss` in the project (at most one organization trusts it).
    async fn trusted_assertion_issuer(
        &self,
        project_id: &str,
        issuer: &str,
    ) -> Result<Option<latchkey_types::IdentityAssertionIssuer>>;
    /// False when it is gone; `Conflict::Other` when another organization trusts the issuer.
    async fn update_assertion_issuer(
        &self,
        issuer: &latchkey_types::IdentityAssertionIssuer,
    ) -> Result<bool>;
    async fn delete_assertion_issuer(&self, organization_id: &str, issuer_id: &str)
        -> Result<bool>;
    /// Spends an ID-JAG's `jti` and records the new family and its access token (and the
    /// event) in one transaction; false, writing nothing, when the `jti` was spent before.
    async fn issue_assertion_grant(
        &self,
        spent: &SpentAssertion<'_>,
        grant: &latchkey_core::oauth::grant::Grant,
        access: &AccessRow,
        event: Option<&AuditEvent>,
        now: i64,
    ) -> Result<bool>;
    /// Forgets spent ID-JAG `jti`s whose assertion has expired.
    async fn purge_assertion_jtis(&self, now: i64) -> Result<u64>;
    /// Revokes one access token by `jti` (RFC 7009 for an exchanged token revoked by the client
    /// holding it; its grant lives on).
    async fn revoke_access_token(&self, jti: &str, now: i64) -> Result<()>;
    // Branch device (issue 14 items 5 and 6, migration 0023): RFC 8628 and DPoP replay.
    /// A new device request; `Conflict` when either code hash is taken.
    async fn insert_device_authorization(
        &self,
        device_code_hash: &str,
        user_code_hash: &str,
        record: &latchkey_core::oauth::device::DeviceRecord,
    ) -> Result<()>;
    async fn device_by_code(
        &self,
        device_code_hash: &str,
    ) -> Result<Option<latchkey_core::oauth::device::DeviceRecord>>;
    /// The undecided, unexpired request with this user code.
    async fn pending_device(
        &self,
        user_code_hash: &str,
        now: i64,
    ) -> Result<Option<latchkey_core::oauth::device::DeviceRecord>>;
    /// Approves a pending request with its grant, consent and event in one transaction; false
    /// (writing nothing) when it was decided or expired meanwhile.
    async fn approve_device(
        &self,
        user_code_hash: &str,
        grant: &latchkey_core::oauth::grant::Grant,
        consent: &ConsentRow,
        event: Option<&AuditEvent>,
        now: i64,
    ) -> Result<bool>;
    async fn deny_device(&self, user_code_hash: &str) -> Result<bool>;
    async fn record_device_poll(
        &self,
        device_code_hash: &str,
        now: i64,
        interval: i64,
    ) -> Result<()>;
    /// Spends an approved device code: true for exactly one caller.
    async fn consume_device(&self, device_code_hash: &str, now: i64) -> Result<bool>;
    async fn purge_device_authorizations(&self, before: i64) -> Result<u64>;
    /// Records a DPoP proof's replay key; false when it was seen before.
    async fn use_dpop_jti(&self, jti_hash: &str, expires_at: i64) -> Result<bool>;
    async fn purge_dpop_jtis(&self, now: i64) -> Result<u64>;

    // MFA (issue 13 items 1, 2; store::mfa).
    /// Stores an intermediate session under its token's hash.
    async fn insert_intermediate_session(
        &self,
        s: &latchkey_core::mfa::IntermediateSession,
        token_hash: &SecretHash,
    ) -> Result<()>;
    /// Reads an intermediate session (expired ones too: the caller checks), spending nothing.
    async fn intermediate_session(
        &self,
        project_id: &str,
        token_hash: &SecretHash,
    ) -> Result<Option<latchkey_core::mfa::IntermediateSession>>;
    /// Spends `old` (false if it is gone or expired at `now`) and stores `s` under `new_hash`.
    async fn replace_intermediate_session(
        &self,
        old: &SecretHash,
        s: &latchkey_core::mfa::IntermediateSession,
        new_hash: &SecretHash,
        now: i64,
    ) -> Result<bool>;
    /// Spends the intermediate session and the second factor, updates the member and writes
    /// the session, in one transaction (see [`MfaCompletion`]).
    async fn complete_mfa(&self, c: &MfaCompletion<'_>) -> Result<MfaOutcome>;
    /// Stores a new (unverified) TOTP registration and its recovery codes; the member's other
    /// unverified registrations go.
    async fn insert_totp_registration(
        &self,
        reg: &TotpRegistration,
        codes: &[NewRecoveryCode],
    ) -> Result<()>;
    /// The member's verified TOTP registration, else the newest unverified one open at `now`.
    async fn member_totp(
        &self,
        project_id: &str,
        member_id: &str,
        now: i64,
    ) -> Result<Option<TotpRegistration>>;
    /// `totp/migrate`: replaces the member's registrations with `reg` and writes `member`.
    async fn migrate_totp(
        &self,
        reg: &TotpRegistration,
        codes: &[NewRecoveryCode],
        member: &Member,
    ) -> Result<bool>;
    /// The unused recovery codes of the member's verified registration.
    async fn recovery_codes(
        &self,
        project_id: &str,
        member_id: &str,
    ) -> Result<Vec<StoredRecoveryCode>>;
    /// Replaces the codes of a verified registration; false when it is not verified.
    async fn rotate_recovery_codes(
        &self,
        reg: &TotpRegistration,
        codes: &[NewRecoveryCode],
    ) -> Result<bool>;
}

/// Opens the store named by `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://...`) and
/// runs its migrations.
pub async fn connect(url: &str) -> Result<SqlStore> {
    if url.starts_with("sqlite:") {
        sqlite::connect(url).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::connect(url).await
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

//! latchkey-store: one [`Store`] trait of domain operations, implemented over SQL for SQLite
//! (embedded default) and PostgreSQL. The backend is chosen once, from the database URL.
//!
//! Records are stored as JSON documents of the wire objects, with the columns that are searched
//! or constrained (slugs, external ids, emails) beside them; uniqueness is enforced by the
//! database and surfaced as [`Conflict`], never by check-then-insert.
#![forbid(unsafe_code)]

mod keys;
mod magic_links;
mod members;
mod organizations;
mod projects;
mod query;
mod sessions;
mod sql;

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use latchkey_core::search::{MemberFilter, OrgFilter, Search};
use latchkey_core::secret::SecretHash;
use latchkey_core::session::SessionRecord;
use latchkey_types::{Member, Organization};

pub use keys::{KeyChange, StoredSigningKey};
pub use sql::SqlStore;

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
pub trait Store: Send + Sync {
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
    async fn list_outbox(&self, project_id: Option<&str>, limit: i64)
        -> Result<Vec<OutboxMessage>>;
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

-- Password reset (issue 13 item 6): `passwords/email/require_reset` marks a member's password
-- as needing a reset; a password login is then refused with `reset_password` until the member
-- sets a new one (every write of a password row clears the mark). Reset tokens reuse
-- magic_link_tokens with kind = 'reset_password'.
ALTER TABLE member_passwords ADD COLUMN reset_required BIGINT NOT NULL DEFAULT 0;

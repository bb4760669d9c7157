-- 0014: e-mail alerts from the web pages, without an account (docs/email-alerts.md).
--
-- A person is an e-mail address (subscribers), nothing else: no name, no password, no IP address.
-- Their watches are ordinary watches (evaluated and notified like any other) that point at the
-- address (subscriber_id) instead of carrying a channel URL of their own. A watch from the web is
-- pending until its confirmation link is used (pending_until: when an unconfirmed one is deleted);
-- the evaluation skips pending watches. unsubscribe_token is the secret of the links in every
-- e-mail; confirm_token is cleared once used. Deleting the last watch of an address deletes the
-- address (storage/subscriptions.py; deleting an address deletes its watches by cascade).
-- mail_submissions counts recent submissions per client (a keyed hash of its address, kept an
-- hour) for the per-client rate limit; the confirmation e-mail is an outbox notification of kind
-- 'confirm', so it has the outbox's guarantees (retries, idempotency key).

CREATE TABLE subscribers (
    id          serial PRIMARY KEY,
    email       text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE watches
    ADD COLUMN subscriber_id integer REFERENCES subscribers (id) ON DELETE CASCADE,
    ADD COLUMN pending_until timestamptz,
    ADD COLUMN confirm_token text UNIQUE,
    ADD COLUMN unsubscribe_token text UNIQUE,
    ADD CONSTRAINT watches_subscriber_token_check CHECK (subscriber_id IS NULL OR unsubscribe_token IS NOT NULL),
    ADD CONSTRAINT watches_pending_check CHECK (pending_until IS NULL OR subscriber_id IS NOT NULL);

CREATE INDEX watches_subscriber_idx ON watches (subscriber_id) WHERE subscriber_id IS NOT NULL;
CREATE INDEX watches_pending_idx ON watches (pending_until) WHERE pending_until IS NOT NULL;

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('availability', 'test', 'confirm'));

CREATE TABLE mail_submissions (
    id              bigserial PRIMARY KEY,
    client          text NOT NULL,
    submitted_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX mail_submissions_client_idx ON mail_submissions (client, submitted_at);

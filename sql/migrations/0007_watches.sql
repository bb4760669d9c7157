-- 0007: watches (what someone wants to be told), their huts, and the outbox of notifications.
--
-- A watch is a hut watch (one hut; some night, or `nights` consecutive nights, in
-- [date_from, date_to]) or a tour watch (huts in order, one night each, starting on some date in
-- [date_from, date_to]). watch_huts holds its huts by position with the nights each position can
-- touch (night_from, night_to), so that the hut-dates a refresh changed find their watches by
-- index. The evaluation state (satisfied, episode, what was last notified) lives on the watch;
-- a decision to notify is a row in `notifications` (the outbox) written in the same transaction,
-- and delivery (notify/) only ever reads that table: a crash between the two loses nothing, and
-- the idempotency key (watch, episode, sequence) is unique, so nothing is decided twice.
-- A hut that is watched cannot be deleted (remove its watches first); deleting a watch deletes
-- its huts and notifications.

CREATE TABLE watches (
    id                  serial PRIMARY KEY,
    name                text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
    kind                text NOT NULL CHECK (kind IN ('hut', 'tour')),
    date_from           date NOT NULL,
    date_to             date NOT NULL,
    nights              smallint NOT NULL DEFAULT 1 CHECK (nights BETWEEN 1 AND 60),
    beds                smallint NOT NULL DEFAULT 1 CHECK (beds BETWEEN 1 AND 500),
    notify_url          text NOT NULL CHECK (length(notify_url) BETWEEN 1 AND 2000),
    created_at          timestamptz NOT NULL DEFAULT now(),
    expired_at          timestamptz,
    evaluated_at        timestamptz,
    satisfied           boolean NOT NULL DEFAULT false,
    episode             integer NOT NULL DEFAULT 0 CHECK (episode >= 0),
    notified_options    integer NOT NULL DEFAULT 0 CHECK (notified_options >= 0),
    notified_free       integer NOT NULL DEFAULT 0 CHECK (notified_free >= 0),
    CHECK (date_to >= date_from),
    CHECK (kind = 'hut' OR nights = 1),
    CHECK (kind = 'tour' OR date_to - date_from + 1 >= nights)
);

CREATE INDEX watches_active_idx ON watches (date_to) WHERE expired_at IS NULL;

CREATE TABLE watch_huts (
    watch_id    integer NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    position    smallint NOT NULL CHECK (position BETWEEN 0 AND 59),
    hut_id      integer NOT NULL REFERENCES huts (id),
    night_from  date NOT NULL,
    night_to    date NOT NULL,
    PRIMARY KEY (watch_id, position),
    CHECK (night_to >= night_from)
);

CREATE INDEX watch_huts_hut_idx ON watch_huts (hut_id, night_from, night_to, watch_id);

CREATE TABLE notifications (
    id                  bigserial PRIMARY KEY,
    watch_id            integer NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    episode             integer NOT NULL CHECK (episode >= 1),
    sequence            integer NOT NULL CHECK (sequence >= 0),
    idempotency_key     text NOT NULL UNIQUE,
    kind                text NOT NULL DEFAULT 'availability' CHECK (kind IN ('availability', 'test')),
    title               text NOT NULL,
    body                text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    last_attempt_at     timestamptz,
    last_error          text,
    delivered_at        timestamptz,
    UNIQUE (watch_id, kind, episode, sequence)
);

CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE delivered_at IS NULL;

-- Where the last evaluation of changes stopped (one row).
CREATE TABLE watch_evaluation (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    changes_since   timestamptz
);
INSERT INTO watch_evaluation (id, changes_since) VALUES (true, NULL);

-- Changes (new states) by the time they were first seen: what the watch evaluation reads.
CREATE INDEX hut_availability_history_changes_idx ON hut_availability_history (first_checked);

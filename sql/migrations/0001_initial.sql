-- 0001: huts, booking sources, hut types, current state, change history, per-hut fetch status.
-- Field names follow the seed (HutAvailability / HutAvailabilityHistory).

CREATE TABLE organizations (
    id          serial PRIMARY KEY,
    slug        text NOT NULL UNIQUE,           -- the booking source, e.g. 'hrs'
    name        text NOT NULL,
    url         text
);

INSERT INTO organizations (slug, name, url)
VALUES ('hrs', 'hut-reservation.org', 'https://www.hut-reservation.org');

CREATE TABLE hut_types (
    slug        text PRIMARY KEY,               -- hut-services HutTypeEnum values
    name        text NOT NULL,
    is_open     boolean NOT NULL                -- false for kinds used when a hut is not serviced
);

INSERT INTO hut_types (slug, name, is_open) VALUES
    ('unknown', 'Unknown', false),
    ('closed', 'Closed', false),
    ('campgr', 'Campground', true),
    ('shelter', 'Basic shelter', false),
    ('camping', 'Camping', true),
    ('bivouac', 'Bivouac', false),
    ('selfhut', 'Unattended hut (winter room)', false),
    ('hut', 'Hut', true),
    ('alp', 'Alp', true),
    ('bhotel', 'Basic hotel', true),
    ('hostel', 'Hostel', true),
    ('hotel', 'Hotel', true),
    ('special', 'Special', true),
    ('resta', 'Restaurant', true);

CREATE TABLE huts (
    id                      serial PRIMARY KEY,
    slug                    text NOT NULL UNIQUE,
    name                    text NOT NULL,
    country                 text,
    lat                     double precision CHECK (lat BETWEEN -90 AND 90),
    lon                     double precision CHECK (lon BETWEEN -180 AND 180),
    elevation               integer,
    capacity                integer CHECK (capacity >= 0),
    hut_type_open           text NOT NULL DEFAULT 'hut' REFERENCES hut_types (slug),
    hut_type_closed         text NOT NULL DEFAULT 'selfhut' REFERENCES hut_types (slug),
    source_organization_id  integer REFERENCES organizations (id),
    source_hut_id           text,                -- the seed's booking_ref
    is_active               boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_organization_id, source_hut_id),
    CHECK ((source_organization_id IS NULL) = (source_hut_id IS NULL))
);

-- Current state: one row per hut and availability date. fillfactor leaves room on each page
-- so that a pass that only advances last_checked updates rows in place (HOT).
CREATE TABLE hut_availability (
    hut_id                  integer NOT NULL REFERENCES huts (id) ON DELETE CASCADE,
    availability_date       date NOT NULL,
    source_organization_id  integer REFERENCES organizations (id),
    source_hut_id           text,
    free                    integer,
    total                   integer,
    occupancy_percent       double precision CHECK (occupancy_percent BETWEEN 0 AND 100),
    occupancy_steps         smallint CHECK (occupancy_steps BETWEEN 0 AND 100),
    occupancy_status        text NOT NULL,
    reservation_status      text NOT NULL,
    link                    text,
    hut_type                text NOT NULL,
    first_checked           timestamptz NOT NULL,
    last_checked            timestamptz NOT NULL,
    PRIMARY KEY (hut_id, availability_date)
) WITH (fillfactor = 50);

CREATE INDEX hut_availability_date_idx ON hut_availability (availability_date, hut_id);

-- Change history: one row per state. last_checked is NULL while the state is current and is set
-- to the check time that superseded it; at most one open state per hut and date.
CREATE TABLE hut_availability_history (
    id                  bigserial,
    hut_id              integer NOT NULL REFERENCES huts (id) ON DELETE CASCADE,
    availability_date   date NOT NULL,
    free                integer,
    total               integer,
    occupancy_percent   double precision,
    hut_type            text NOT NULL,
    reservation_status  text NOT NULL,
    first_checked       timestamptz NOT NULL,
    last_checked        timestamptz,
    PRIMARY KEY (hut_id, availability_date, id),
    CHECK (last_checked IS NULL OR last_checked >= first_checked)
);

CREATE UNIQUE INDEX hut_availability_history_one_open_idx
    ON hut_availability_history (hut_id, availability_date)
    WHERE last_checked IS NULL;

CREATE INDEX hut_availability_history_first_checked_idx
    ON hut_availability_history (hut_id, availability_date, first_checked);

-- Every state with its effective last_checked (for the open state: the current table's) and
-- how long it lasted (so far).
CREATE VIEW hut_availability_history_states AS
SELECT h.id,
       h.hut_id,
       h.availability_date,
       h.free,
       h.total,
       h.occupancy_percent,
       h.hut_type,
       h.reservation_status,
       h.first_checked,
       coalesce(h.last_checked, a.last_checked) AS last_checked,
       h.last_checked IS NULL AS is_current,
       extract(epoch FROM coalesce(h.last_checked, a.last_checked) - h.first_checked)::double precision
           AS duration_seconds
FROM hut_availability_history h
LEFT JOIN hut_availability a
       ON a.hut_id = h.hut_id AND a.availability_date = h.availability_date;

-- Per-hut fetch status: so that huts that fail or return nothing are tracked and retried.
CREATE TABLE hut_fetch_status (
    hut_id                  integer PRIMARY KEY REFERENCES huts (id) ON DELETE CASCADE,
    last_attempt            timestamptz,
    last_success            timestamptz,
    consecutive_failures    integer NOT NULL DEFAULT 0,
    last_error              text,
    last_rows               integer,
    last_rejected_days      integer NOT NULL DEFAULT 0
);

-- 0008: Hütten-Holiday as a booking source, beside hut-reservation.org ('hrs'). Its cabin ids
-- overlap hut-reservation.org hut ids: a hut is identified by (source, source hut id), which
-- huts' UNIQUE (source_organization_id, source_hut_id) already enforces.

INSERT INTO organizations (slug, name, url)
VALUES ('huetten-holiday', 'Hütten-Holiday', 'https://www.huetten-holiday.com')
ON CONFLICT (slug) DO NOTHING;

-- 0010: two booking sources that publish free places but no totals: the Tour du Mont Blanc
-- refuges ('tmb', montourdumontblanc.com's booking backend) and the French Alpine Club's central
-- booking ('ffcam', centrale.ffcam.fr).
--
-- Their nights are free known, total NULL (occupancy unknown, never a made-up capacity). A 0 from
-- them is "no place online" (full, closed or not sold online: the sites do not say which): day
-- state not_bookable_online stored as it was served, free 0 and total NULL (domain/mapping.py).
-- Until now a not-bookable-online night could only be free NULL, total 0 (hut-reservation.org's
-- "no places offered"); the day-state checks now accept both. Every stored row already satisfies
-- the relaxed check, so no row changes.

INSERT INTO organizations (slug, name, url)
VALUES ('tmb', 'Tour du Mont Blanc refuges', 'https://www.montourdumontblanc.com'),
       ('ffcam', 'FFCAM (Club Alpin Français)', 'https://centrale.ffcam.fr')
ON CONFLICT (slug) DO NOTHING;

ALTER TABLE hut_availability DROP CONSTRAINT hut_availability_day_state_check;
ALTER TABLE hut_availability ADD CONSTRAINT hut_availability_day_state_check CHECK (
    day_state IN ('bookable', 'full', 'not_bookable_online', 'winter_room', 'closed', 'unknown')
    AND (day_state <> 'bookable' OR coalesce(free, 0) > 0)
    AND (day_state <> 'full' OR free IS NOT DISTINCT FROM 0)
    AND (day_state <> 'closed' OR (free IS NULL AND total = 0))
    AND (day_state <> 'not_bookable_online' OR (free IS NULL AND total = 0) OR (free = 0 AND total IS NULL))
);

ALTER TABLE hut_availability_history DROP CONSTRAINT hut_availability_history_day_state_check;
ALTER TABLE hut_availability_history ADD CONSTRAINT hut_availability_history_day_state_check CHECK (
    day_state IN ('bookable', 'full', 'not_bookable_online', 'winter_room', 'closed', 'unknown')
    AND (day_state <> 'bookable' OR coalesce(free, 0) > 0)
    AND (day_state <> 'full' OR free IS NOT DISTINCT FROM 0)
    AND (day_state <> 'closed' OR (free IS NULL AND total = 0))
    AND (day_state <> 'not_bookable_online' OR (free IS NULL AND total = 0) OR (free = 0 AND total IS NULL))
);

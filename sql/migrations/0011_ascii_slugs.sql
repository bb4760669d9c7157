-- 0011: every hut slug ASCII ([a-z0-9-]), as the API's slug pattern, the web pages' addresses and
-- CSV loading require. `huts discover --source huetten-holiday` used to take a site's slug as it
-- was ('adamek-hütte-3'): such a hut was on the map but its page and API answered 404. Discovery
-- now spells them out (storage.huts.ascii_slug); this renames the slugs already stored by the
-- same rule: ä→ae, ö→oe, ü→ue, ß→ss, other accents dropped, anything else a dash. A slug that is
-- then taken gets the hut's source id appended (then its id). Huts are referenced by id, so
-- nothing else changes; Dagster's hut partitions follow the huts table at the next sync (the old
-- slug's partition is deleted, the new one added).
DO $$
DECLARE
    hut record;
    wanted text;
BEGIN
    FOR hut IN SELECT id, slug, source_hut_id FROM huts WHERE slug !~ '^[a-z0-9][a-z0-9-]*$' ORDER BY id LOOP
        wanted := lower(hut.slug);
        wanted := replace(replace(replace(replace(wanted, 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss');
        wanted := translate(wanted, 'àáâãåāăąçćčďèéêëēęěìíîïłñńňòóôõøōőŕřśšşťùúûůűýÿźżž',
                                    'aaaaaaaacccdeeeeeeeiiiilnnnooooooorrssstuuuuuyyzzz');
        wanted := btrim(regexp_replace(wanted, '[^a-z0-9]+', '-', 'g'), '-');
        IF wanted = '' THEN
            wanted := 'hut';
        END IF;
        IF EXISTS (SELECT 1 FROM huts WHERE slug = wanted) THEN
            wanted := wanted || '-' || coalesce(regexp_replace(lower(hut.source_hut_id), '[^a-z0-9]+', '-', 'g'), hut.id::text);
        END IF;
        IF EXISTS (SELECT 1 FROM huts WHERE slug = wanted) THEN
            wanted := wanted || '-' || hut.id::text;
        END IF;
        RAISE NOTICE 'hut %: slug % renamed to %', hut.id, hut.slug, wanted;
        UPDATE huts SET slug = wanted, updated_at = now() WHERE id = hut.id;
    END LOOP;
END
$$;

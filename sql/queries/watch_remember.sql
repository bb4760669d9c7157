-- The new memory of every evaluated watch, in one statement (arrays in watch order).
UPDATE watches w
SET satisfied = u.satisfied,
    episode = u.episode,
    notified_options = u.notified_options,
    notified_free = u.notified_free,
    evaluated_at = now()
FROM unnest(%(ids)s::integer[], %(satisfied)s::boolean[], %(episode)s::integer[],
            %(notified_options)s::integer[], %(notified_free)s::integer[])
     AS u(id, satisfied, episode, notified_options, notified_free)
WHERE w.id = u.id

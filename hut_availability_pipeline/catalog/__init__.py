"""The hut catalog use cases: reading hut files (`files`: the packaged catalog, a CSV) and listing
a booking site's huts (`discover`), into `storage.huts.HutRecord`s that `storage.huts.load_huts`
stores."""

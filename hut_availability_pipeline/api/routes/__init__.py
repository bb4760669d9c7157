"""The API's routes, one router per resource: the map (`availability`), one hut (`huts`), the table (`browse`)."""

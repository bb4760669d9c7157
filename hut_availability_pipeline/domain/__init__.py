"""Pure domain logic: bookings, states, change test, priority tiers. Imports nothing of ours."""

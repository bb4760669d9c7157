-- The provider-level block of a booking source: until when no process may ask it again.
SELECT blocked_until FROM provider_status WHERE source_organization_id = %(source_organization_id)s

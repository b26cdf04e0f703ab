"""Microsoft sign-in, bound to Microsoft's (tenant id, object id) from a verified ID token, never an address.

It owns every sign-in at Microsoft and what follows it (`services`): sign in, start an organization, link a
password account, join through a handed-on consent link, and the sign-in that proves an admin's tenant
before consent (handed to `integrations.consent`); and their pages and one callback (`views`).
"""

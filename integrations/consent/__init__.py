"""Admin consent: who may grant it, the tenant held for the organization until it works, the round trip.

`services` proves the tenant (the admin's verified sign-in, from `integrations.signin`), sends the admin to
Microsoft's admin-consent page and verifies what comes back; `binding` holds a proven tenant until consent
works and lets it go when it does not (`tasks` does so periodically); `views` is the consent callback.
"""

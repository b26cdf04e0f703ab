"""Domain-wide mode's people: Entra ID's directory brought into Overlap, and the admins' people page.

It owns the sync, full and delta (`sync`, queued by `queue`, run by `tasks`), whose mailbox Graph names
and the address it needs for a person (`mailboxes`, from their directory record, never `User.email`), and
the people page (`people` its reads, `views`). It builds on `integrations.connection` only.
"""

"""Which members' mailboxes Overlap can reach: the admin's security group and the check behind it.

An application access policy (or RBAC for Applications) may keep Overlap out of some mailboxes. It owns
the group the admin names (`services`), the check that asks each mailbox in batches (`check`, run by
`tasks`) and its results (`selectors`, and the `MailboxReach` rows in `integrations.models`).
"""

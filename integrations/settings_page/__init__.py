"""The admins' integration settings page: the tenant and the mode, test, disconnect, the security group.

It owns the page (`views`), its forms (`forms`) and the writes behind it (`services`: configure, what a
change would do, test, disconnect). It sits on top of the other flows: it asks `consent`, `directory`,
`member_calendars` and `reach`, and nothing of the integration imports it but `urls`.
"""

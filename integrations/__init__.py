"""The organization's Microsoft 365 connection, one package per flow (see the README's Layout section).

`connection` (which every flow builds on), `consent`, `signin`, `directory`, `member_calendars`, `reach` and
`settings_page`; beside them `calendars` (all that booking asks of Microsoft), `microsoft` (the wire) and
`models` (every table, where Django looks for them).
"""

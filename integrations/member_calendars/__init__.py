"""Individual (delegated) mode: each member connects their own calendar at Microsoft, checks it, disconnects it.

It owns the member's round trip (`services`, with the encrypted token cache), their page (`views`) and the
reads their admins see (`selectors`: who must reconnect). The member's Graph client itself is built by
`integrations.connection.clients.member_client`, like every other client.
"""

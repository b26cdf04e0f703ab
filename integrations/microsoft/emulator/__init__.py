"""A Microsoft 365 emulator: Entra ID and Microsoft Graph on loopback, over real HTTPS.

It stands in for login.microsoftonline.com and graph.microsoft.com in the demo and the tests.
It imports nothing from Overlap's apps; its specification is shared/M365-FACTS.md.
"""

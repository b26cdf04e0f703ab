"""The organization's one Microsoft 365 connection, which every flow of the integration builds on.

It owns: the one lookup (`lookup.connection_for`), the one factory for Graph clients (`clients`), the one
place a connection's problems are recorded (`problems.record_problem`), the plain words for Microsoft's
errors (`explain`), the probe and the periodic check (`health`, `tasks`), whether Microsoft answers
(`answering`) and the integration log (`log`). The `Connection` table and its state machine (`MOVES`) live
in `integrations.models`, where Django looks for them. It imports no other package of the integration.
"""

"""The search: from the booking page's query to the times it shows, and the check of a chosen time.

It owns the flow in the order a search runs: `forms` reads the query (colleagues by `colleagues`),
`availability` reads free/busy through `integrations.calendars` (cached briefly) and ranks it with
`booking.engine` under the organization's rules, `schedules` turns getSchedule's answers into the engine's
people, `microsoft_offers` narrows the ranking to the times Microsoft's findMeetingTimes offers (individual
mode), `results` holds what a search asks and answers, and `page` lays the answer out for the booking page.
It writes nothing of a booking's: booking, confirming and moving meetings are `booking.services`.
"""

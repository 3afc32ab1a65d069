// Package calendar is the civil-service working-day calendar of Vietnam and
// the Vietnamese lunar calendar it depends on, for the deadlines the
// regulations count in working days or calendar days.
//
// Working days are Monday–Friday minus public holidays and compensatory days,
// plus the Saturdays the government designates, year by year. Those swaps
// cannot be computed, so a year follows its published table (shipped for
// 2024–2026, and replaceable by a user-supplied JSON table); other years fall
// back to Labour Code 2019 arts. 111–112. Deadlines follow Civil Code arts.
// 147–148: counting starts the day after the event, and a deadline that ends
// on a day off moves to the next working day.
//
// The lunar calendar follows the Vietnamese rules at UTC+7 (new-moon day
// starts a month, the winter solstice lies in month 11, the leap month is the
// first without a major solar term), computed from Meeus's algorithms rather
// than copied from tables: at UTC+7 it can differ from the Chinese calendar
// (UTC+8), as in Tết 1985 and 2007.
//
// The package is pure: no I/O, no clock. Errors wrap domain.ErrInvalid.
package calendar

package calendar

import "math"

// The astronomy below follows Jean Meeus, Astronomical Algorithms (2nd ed.):
// chapter 49 for the instants of new moon, chapter 25 (low accuracy) for the
// Sun's apparent longitude, and the Espenak–Meeus polynomials for ΔT. Their
// errors (seconds for new moons, about 0.01° ≈ 15 minutes for solar terms)
// are far below the margins the Vietnamese calendar needs in 1900–2100.

const rad = math.Pi / 180

// newMoonJDE is the instant (Julian Ephemeris Day, dynamical time) of the
// true new moon with lunation number k (k = 0: 6 January 2000).
func newMoonJDE(k float64) float64 {
	t := k / 1236.85
	t2, t3, t4 := t*t, t*t*t, t*t*t*t
	jde := 2451550.09766 + 29.530588861*k + 0.00015437*t2 - 0.000000150*t3 + 0.00000000073*t4
	e := 1 - 0.002516*t - 0.0000074*t2
	m := (2.5534 + 29.10535670*k - 0.0000014*t2 - 0.00000011*t3) * rad
	mp := (201.5643 + 385.81693528*k + 0.0107582*t2 + 0.00001238*t3 - 0.000000058*t4) * rad
	f := (160.7108 + 390.67050284*k - 0.0016118*t2 - 0.00000227*t3 + 0.000000011*t4) * rad
	om := (124.7746 - 1.56375588*k + 0.0020672*t2 + 0.00000215*t3) * rad

	s := math.Sin
	corr := -0.40720*s(mp) +
		0.17241*e*s(m) +
		0.01608*s(2*mp) +
		0.01039*s(2*f) +
		0.00739*e*s(mp-m) -
		0.00514*e*s(mp+m) +
		0.00208*e*e*s(2*m) -
		0.00111*s(mp-2*f) -
		0.00057*s(mp+2*f) +
		0.00056*e*s(2*mp+m) -
		0.00042*s(3*mp) +
		0.00042*e*s(m+2*f) +
		0.00038*e*s(m-2*f) -
		0.00024*e*s(2*mp-m) -
		0.00017*s(om) -
		0.00007*s(mp+2*m) +
		0.00004*s(2*mp-2*f) +
		0.00004*s(3*m) +
		0.00003*s(mp+m-2*f) +
		0.00003*s(2*mp+2*f) -
		0.00003*s(mp+m+2*f) +
		0.00003*s(mp-m+2*f) -
		0.00002*s(mp-m-2*f) -
		0.00002*s(3*mp+m) +
		0.00002*s(4*mp)

	// Planetary arguments (Meeus table 49.B).
	planetary := [14][3]float64{
		{299.77, 0.107408, 0.000325},
		{251.88, 0.016321, 0.000165},
		{251.83, 26.651886, 0.000164},
		{349.42, 36.412478, 0.000126},
		{84.66, 18.206239, 0.000110},
		{141.74, 53.303771, 0.000062},
		{207.14, 2.453732, 0.000060},
		{154.84, 7.306860, 0.000056},
		{34.52, 27.261239, 0.000047},
		{207.19, 0.121824, 0.000042},
		{291.34, 1.844379, 0.000040},
		{161.72, 24.198154, 0.000037},
		{239.56, 25.513099, 0.000035},
		{331.55, 3.592518, 0.000023},
	}
	for i, p := range planetary {
		a := p[0] + p[1]*k
		if i == 0 {
			a -= 0.009173 * t2
		}
		corr += p[2] * s(a*rad)
	}
	return jde + corr
}

// sunLongitude is the Sun's apparent geocentric longitude in degrees, in
// [0, 360), at Julian Ephemeris Day jde.
func sunLongitude(jde float64) float64 {
	t := (jde - 2451545.0) / 36525
	l0 := 280.46646 + 36000.76983*t + 0.0003032*t*t
	m := (357.52911 + 35999.05029*t - 0.0001537*t*t) * rad
	c := (1.914602-0.004817*t-0.000014*t*t)*math.Sin(m) +
		(0.019993-0.000101*t)*math.Sin(2*m) +
		0.000289*math.Sin(3*m)
	om := (125.04 - 1934.136*t) * rad
	l := l0 + c - 0.00569 - 0.00478*math.Sin(om)
	l = math.Mod(l, 360)
	if l < 0 {
		l += 360
	}
	return l
}

// deltaT is TT − UT in seconds for a decimal year (Espenak & Meeus, 2006).
// Beyond 2005 it is an extrapolation; its error of a minute or so does not
// move any new moon across midnight in a way the tests could not catch.
func deltaT(y float64) float64 {
	switch {
	case y < 1900:
		t := y - 1860
		return 7.62 + 0.5737*t - 0.251754*t*t + 0.01680668*t*t*t - 0.0004473624*t*t*t*t + t*t*t*t*t/233174
	case y < 1920:
		t := y - 1900
		return -2.79 + 1.494119*t - 0.0598939*t*t + 0.0061966*t*t*t - 0.000197*t*t*t*t
	case y < 1941:
		t := y - 1920
		return 21.20 + 0.84493*t - 0.076100*t*t + 0.0020936*t*t*t
	case y < 1961:
		t := y - 1950
		return 29.07 + 0.407*t - t*t/233 + t*t*t/2547
	case y < 1986:
		t := y - 1975
		return 45.45 + 1.067*t - t*t/260 - t*t*t/718
	case y < 2005:
		t := y - 2000
		return 63.86 + 0.3345*t - 0.060374*t*t + 0.0017275*t*t*t + 0.000651814*t*t*t*t + 0.00002373599*t*t*t*t*t
	case y < 2050:
		t := y - 2000
		return 62.92 + 0.32217*t + 0.005589*t*t
	case y < 2150:
		u := (y - 1820) / 100
		return -20 + 32*u*u - 0.5628*(2150-y)
	default:
		u := (y - 1820) / 100
		return -20 + 32*u*u
	}
}

// jdYear is the decimal year of a Julian Day, precise enough for ΔT.
func jdYear(jd float64) float64 { return 2000 + (jd-2451545.0)/365.25 }

// vietnamOffset is UTC+7 as a fraction of a day.
const vietnamOffset = 7.0 / 24

// newMoonDay is the Julian Day Number of the civil date, in Vietnam (UTC+7),
// on which new moon k falls: the first day of a lunar month.
func newMoonDay(k int) int {
	jde := newMoonJDE(float64(k))
	jd := jde - deltaT(jdYear(jde))/86400
	return int(math.Floor(jd + 0.5 + vietnamOffset))
}

// sunSectorAtDayStart is the index (0–11) of the 30° sector of the Sun's
// apparent longitude at 00:00 in Vietnam on day jdn. A major solar term
// (trung khí) is the crossing of a multiple of 30°, so a lunar month holds a
// major term exactly when the sector changes between its first day and the
// first day of the next month.
func sunSectorAtDayStart(jdn int) int {
	jd := float64(jdn) - 0.5 - vietnamOffset
	jde := jd + deltaT(jdYear(jd))/86400
	return int(sunLongitude(jde) / 30)
}

// jdnFromCivil is the Julian Day Number of a Gregorian date (Fliegel & Van
// Flandern).
func jdnFromCivil(y, m, d int) int {
	a := (14 - m) / 12
	yy := y + 4800 - a
	mm := m + 12*a - 3
	return d + (153*mm+2)/5 + 365*yy + yy/4 - yy/100 + yy/400 - 32045
}

// civilFromJDN inverts jdnFromCivil.
func civilFromJDN(j int) (y, m, d int) {
	a := j + 32044
	b := (4*a + 3) / 146097
	c := a - 146097*b/4
	dd := (4*c + 3) / 1461
	e := c - 1461*dd/4
	mm := (5*e + 2) / 153
	d = e - (153*mm+2)/5 + 1
	m = mm + 3 - 12*(mm/10)
	y = 100*b + dd - 4800 + mm/10
	return y, m, d
}

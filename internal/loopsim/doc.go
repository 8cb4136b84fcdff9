// Package loopsim is the acceptance test of early warning and the closed
// loop of care: a month in a district of 20,000 students on a controllable
// clock (screening, alerts, escalations, cases, follow-ups, a risk review)
// with a server restart in the middle, checked against the raw records.
// It holds tests only.
package loopsim

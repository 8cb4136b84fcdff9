// Package station is the running of a hotline station: its roster and gaps
// in 24/7 cover, contacts to call back, supervision of finished contacts,
// and statistics per station and period.
package station

// Service is the station part of the hotline station.
type Service struct{}

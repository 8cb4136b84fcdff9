// Package phone is the telephony event API: a PBX or cloud call centre
// reports calls offered, answered, transferred and ended, and recordings,
// which are stored sealed, played only by those who may, and deleted at the
// end of their retention period.
package phone

// Service is the phone part of the hotline station.
type Service struct{}

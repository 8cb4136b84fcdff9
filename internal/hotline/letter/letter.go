// Package letter is the station's letter box: anonymous web letters (the
// writer keeps a code to read the reply) and e-mail intake, each letter with
// a reply deadline.
package letter

// Service is the letter part of the hotline station.
type Service struct{}

// Package referral is referral to hospitals and other agencies (医教结合):
// a closed loop of states from sent to feedback received, a fast track for
// urgent ones, guardian consent, sealed documents, feedback without
// over-sharing, and overdue referrals that escalate.
package referral

// Service runs referrals.
type Service struct{}

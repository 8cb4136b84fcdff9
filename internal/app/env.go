package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/config"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/export"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/chat"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/hotline/wechat"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/referral"
	"github.com/careloop/careloop/internal/research"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/stats"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/training"
	"github.com/careloop/careloop/internal/warning"
	"github.com/careloop/careloop/internal/workforce"
)

// env is everything a command needs once configuration is read: the
// database (migrated), the keys and the services.
type env struct {
	cfg     *config.Config
	log     *slog.Logger
	db      *db.DB
	keys    *seal.Keyring
	audit   *audit.Log
	org     *org.Service
	people  *people.Service
	student *student.Service
	screen  *screening.Service
	jobs    *jobs.Queue
	notify  *notify.Service
	warn    *warning.Service
	care    *care.Service
	hotline *hotline.Service
	chat    *chat.Service
	wechat  *wechat.Service
	phone   *phone.Service
	letters *letter.Service
	station *station.Service
	crisis  *crisis.Service
	refer   *referral.Service
	sharing *sharing.Service
	// The work around the loop.
	workforce *workforce.Service
	training  *training.Service
	outreach  *outreach.Service
	family    *family.Service
	research  *research.Service
	stats     *stats.Service
	reg       *stats.Registry // the indicators
	exports   *export.Service
}

func (e *env) Close() { e.db.Close() }

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// open reads the database and keys and builds the services. It migrates
// the database, so every command works on a fresh data folder.
func open(ctx context.Context, cfg *config.Config, stderr io.Writer) (*env, error) {
	e := &env{cfg: cfg, log: newLogger(cfg.LogLevel, stderr)}
	var err error
	if e.db, err = db.Open(ctx, cfg.DatabaseURL, cfg.DataDir); err != nil {
		return nil, err
	}
	if _, err := e.db.Migrate(ctx); err != nil {
		e.db.Close()
		return nil, err
	}
	if e.keys, err = loadKeys(cfg, e.log); err != nil {
		e.db.Close()
		return nil, err
	}
	if e.audit, err = audit.New(cfg.AuditHash, nil); err != nil {
		e.db.Close()
		return nil, err
	}
	e.org = &org.Service{DB: e.db, Audit: e.audit}
	e.people = &people.Service{DB: e.db, Audit: e.audit, Seal: e.keys,
		IdleTimeout: cfg.IdleTimeout, MaxSession: cfg.MaxSession}
	e.student = &student.Service{DB: e.db, Audit: e.audit, Seal: e.keys}
	catalog, err := instrument.Library()
	if err != nil {
		e.db.Close()
		return nil, fmt.Errorf("instrument library: %w", err)
	}
	e.screen = &screening.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Catalog: catalog}
	if err := e.screen.LoadImported(ctx); err != nil {
		e.db.Close()
		return nil, fmt.Errorf("imported instruments: %w", err)
	}
	if err := e.loop(ctx); err != nil {
		e.db.Close()
		return nil, err
	}
	return e, nil
}

// loadKeys takes the sealed-field keys from --seal-keys, else from the key
// file, generating the file on first start. Keys never live in the database.
func loadKeys(cfg *config.Config, log *slog.Logger) (*seal.Keyring, error) {
	if cfg.SealKeys != "" {
		return seal.ParseKeys(cfg.SealKeys)
	}
	k, err := seal.LoadKeyFile(cfg.SealKeyFile)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	algo, err := seal.ParseAlgorithm(cfg.SealAlgo)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.SealKeyFile), 0o700); err != nil {
		return nil, fmt.Errorf("create key folder: %w", err)
	}
	k, err = seal.GenerateKeyFile(cfg.SealKeyFile, algo)
	if err != nil {
		return nil, fmt.Errorf("generate key file: %w", err)
	}
	log.Warn("generated a new sealed-field key file; back it up apart from the database", "path", cfg.SealKeyFile,
		"at", time.Now().UTC().Format(time.RFC3339))
	return k, nil
}

// loop wires the steps of the closed loop after screening: the job queue,
// notifications and early warning (a screening raises alerts in its own
// transaction).
func (e *env) loop(ctx context.Context) error {
	if err := jobs.Migrate(ctx, e.db); err != nil {
		return err
	}
	hours, err := warning.ParseHours(e.cfg.SchoolHours)
	if err != nil {
		return err
	}
	if e.jobs, err = jobs.New(e.db, jobs.Options{Log: e.log}); err != nil {
		return err
	}
	e.notify = &notify.Service{Jobs: e.jobs, BaseURL: e.cfg.BaseURL}
	if e.cfg.SMTPURL != "" {
		m, err := notify.NewSMTP(e.cfg.SMTPURL)
		if err != nil {
			return fmt.Errorf("--smtp-url: %w", err)
		}
		e.notify.Mailer = m
	}
	if e.cfg.SMSURL != "" {
		g, err := notify.NewHTTPSMS(e.cfg.SMSURL)
		if err != nil {
			return fmt.Errorf("--sms-url: %w", err)
		}
		e.notify.SMS = g
	}
	jobs.Handle(e.jobs, &notify.DeliverWorker{S: e.notify, DB: e.db})
	e.warn = &warning.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify, Hours: hours,
		Instruments: func() []string {
			var ids []string
			for _, in := range e.screen.Instruments() {
				ids = append(ids, in.ID)
			}
			return ids
		}}
	e.screen.OnScreened = e.warn.OnScreened
	jobs.Handle(e.jobs, &warning.DeadlineWorker{S: e.warn})
	pepper, err := e.keys.Derive("contact identifiers")
	if err != nil {
		return err
	}
	e.hotline = &hotline.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Pepper: pepper, Warning: e.warn, Notify: e.notify}
	e.chat = &chat.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Pepper: pepper, Hotline: e.hotline, Jobs: e.jobs,
		Repliers: map[string]chat.Replier{}}
	jobs.Handle(e.jobs, &chat.ReplyWorker{S: e.chat})
	e.wechat = &wechat.Service{DB: e.db, Router: e.chat, Log: e.log, Config: wechat.Config{Token: e.cfg.WeChatToken,
		EncodingAESKey: e.cfg.WeChatAESKey, AppID: e.cfg.WeChatAppID, AppSecret: e.cfg.WeChatAppSecret,
		StationID: e.cfg.WeChatStation, APIBase: e.cfg.WeChatAPIBase}}
	if e.cfg.WeChatToken != "" {
		if err := e.wechat.Config.Validate(); err != nil {
			return fmt.Errorf("--wechat-*: %w", err)
		}
		e.chat.Repliers["wechat"] = e.wechat
	}
	e.phone = &phone.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Hotline: e.hotline, Jobs: e.jobs,
		Dir: e.cfg.RecordingsDir, Retention: e.cfg.RecordingRetention, Log: e.log}
	jobs.Handle(e.jobs, &phone.ExpiryWorker{S: e.phone})
	letterPepper, err := e.keys.Derive("letters")
	if err != nil {
		return err
	}
	e.letters = &letter.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Pepper: letterPepper, Hotline: e.hotline,
		Jobs: e.jobs, Mailer: e.notify.Mailer, Risk: chat.DefaultLexicon().Match}
	jobs.Handle(e.jobs, &letter.ReplyMailWorker{S: e.letters})
	e.station = &station.Service{DB: e.db, Audit: e.audit, Seal: e.keys}
	e.sharing = &sharing.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	jobs.Handle(e.jobs, &sharing.ExpiryWorker{S: e.sharing})
	e.care = &care.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify, Warning: e.warn}
	jobs.Handle(e.jobs, &care.FollowUpWorker{S: e.care})
	e.crisis = &crisis.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify, Sharing: e.sharing, Care: e.care}
	jobs.Handle(e.jobs, &crisis.SafetyWorker{S: e.crisis})
	e.refer = &referral.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify, Care: e.care, Sharing: e.sharing}
	jobs.Handle(e.jobs, &referral.DueWorker{S: e.refer})
	return e.around(ctx)
}

// around wires the work around the loop: the workforce, training,
// outreach and venues, the parent portal and research extracts.
func (e *env) around(ctx context.Context) error {
	var err error
	if e.reg, err = stats.Indicators(); err != nil {
		return err
	}
	e.stats = &stats.Service{DB: e.db, Audit: e.audit, Jobs: e.jobs, Every: e.cfg.StatsEvery}
	jobs.Handle(e.jobs, &stats.RefreshWorker{S: e.stats, Reg: e.reg})
	for _, wire := range []func(context.Context) error{e.wireWorkforce, e.wireTraining, e.wireOutreach, e.wireFamily, e.wireResearch} {
		if err := wire(ctx); err != nil {
			return err
		}
	}
	// Every table that exports, by kind (internal/export).
	e.exports = &export.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Sources: map[string]export.Source{
		"students": export.Students{S: e.student}, "figures": export.Figures{S: e.stats, Reg: e.reg},
		"alerts": export.Alerts{S: e.warn}, "referrals": export.Referrals{S: e.refer},
		"workforce": export.Registry{S: e.workforce}, "activities": export.Activities{S: e.outreach},
		"training": export.Training{S: e.training}, "training_missing": export.TrainingMissing{S: e.training},
		"coverage": export.Coverage{S: e.workforce}, "coverage_gaps": export.CoverageGaps{S: e.workforce},
		"venues": export.Venues{S: e.outreach}, "meetings": export.Meetings{S: e.sharing},
		"letters": export.Letters{S: e.letters}, "disclosures": export.Disclosures{S: e.sharing}, "work": export.Work{S: e.care},
		"loop": export.LoopMetrics{S: e.care}, "referral_metrics": export.ReferralMetrics{S: e.refer},
		"campaigns": export.Campaigns{S: e.screen}, "campaign_summary": export.CampaignSummary{S: e.screen},
		"hospital": export.Hospital{S: e.refer}, "reviews": export.Reviews{S: e.care},
		"venue_ranking": export.VenueRanking{S: e.outreach}, "attendance": export.Attendance{S: e.training},
		"calls": export.Calls{S: e.phone}, "audit": export.AuditTrail{DB: e.db, Log: e.audit}}}
	jobs.Handle(e.jobs, &export.BuildWorker{S: e.exports})
	jobs.Handle(e.jobs, &export.CleanupWorker{S: e.exports})
	return nil
}

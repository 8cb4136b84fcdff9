// Package config reads careloop's settings once, from command-line flags
// with CARELOOP_* environment variables as defaults, and validates them.
package config

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of a careloop process. It is built by Parse and
// passed down explicitly; there is no global configuration.
type Config struct {
	Addr        string // HOST:PORT to listen on
	DataDir     string // local folder: SQLite database, key file, backups
	DatabaseURL string // postgres://... selects PostgreSQL; empty means SQLite in DataDir
	Demo        bool   // load the demo network with printed demo accounts

	SealKeys    string // inline key spec (see package seal); overrides SealKeyFile
	SealKeyFile string // path of the key file; default DataDir/seal.keys
	SealAlgo    string // aes (default) or sm4, for a newly generated key file
	AuditHash   string // sha256 (default) or sm3

	SecureCookies bool          // set when served behind TLS: Secure cookies and HSTS
	IdleTimeout   time.Duration // session idle timeout
	MaxSession    time.Duration // absolute session lifetime
	LogLevel      string        // debug, info, warn, error

	SchoolHours string // when school counsellors own new alerts, e.g. "mon-fri 07:30-17:30" (China Standard Time)
	BaseURL     string // the address staff open, for links in e-mail and SMS
	SMTPURL     string // smtp://user:pass@host:port?from=... for e-mail notifications; empty: none
	SMSURL      string // the SMS gateway's HTTPS endpoint; empty: none

	// The WeChat official account (empty token: WeChat off).
	WeChatToken, WeChatAESKey, WeChatAppID, WeChatAppSecret, WeChatAPIBase string
	WeChatStation                                                          int64 // the station whose queue receives it (0: the city's)

	RecordingsDir      string        // sealed call recordings; default DataDir/recordings
	RecordingRetention time.Duration // how long call recordings are kept
	StatsEvery         time.Duration // how often the dashboards' rollups are refreshed
}

// envName maps a flag name to its environment variable: database-url -> CARELOOP_DATABASE_URL.
func envName(flagName string) string {
	return "CARELOOP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse reads flags from args (without the program and subcommand names),
// taking defaults from getenv. extra registers a subcommand's own flags. It
// returns the remaining positional arguments.
func Parse(name string, args []string, getenv func(string) string, stderr io.Writer, extra ...func(*flag.FlagSet)) (*Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, x := range extra {
		x(fs)
	}
	fs.SetOutput(stderr)
	c := &Config{}
	str := func(p *string, n, def, usage string) {
		if v := getenv(envName(n)); v != "" {
			def = v
		}
		fs.StringVar(p, n, def, usage+" (env "+envName(n)+")")
	}
	boolean := func(p *bool, n string, usage string) {
		def, _ := strconv.ParseBool(getenv(envName(n)))
		fs.BoolVar(p, n, def, usage+" (env "+envName(n)+")")
	}
	dur := func(p *time.Duration, n string, def time.Duration, usage string) {
		if v, err := time.ParseDuration(getenv(envName(n))); err == nil {
			def = v
		}
		fs.DurationVar(p, n, def, usage+" (env "+envName(n)+")")
	}
	int64v := func(p *int64, n, usage string) {
		def, _ := strconv.ParseInt(getenv(envName(n)), 10, 64)
		fs.Int64Var(p, n, def, usage+" (env "+envName(n)+")")
	}
	str(&c.Addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	str(&c.DataDir, "data", "careloop-data", "data folder for the SQLite database, key file and backups")
	str(&c.DatabaseURL, "database-url", "", "PostgreSQL connection URL; empty uses SQLite in the data folder")
	boolean(&c.Demo, "demo", "load the demo network and print its demo accounts")
	str(&c.SealKeys, "seal-keys", "", "sealed-field keys, id:algo:base64 separated by commas; the first is active")
	str(&c.SealKeyFile, "seal-key-file", "", "sealed-field key file (default DATA/seal.keys)")
	str(&c.SealAlgo, "seal-algo", "aes", "algorithm for a newly generated key: aes (AES-256-GCM) or sm4 (SM4-GCM)")
	str(&c.AuditHash, "audit-hash", "sha256", "hash of the audit chain: sha256 or sm3")
	boolean(&c.SecureCookies, "secure-cookies", "served behind TLS: Secure cookies and HSTS")
	dur(&c.IdleTimeout, "idle-timeout", 30*time.Minute, "session idle timeout")
	dur(&c.MaxSession, "max-session", 12*time.Hour, "absolute session lifetime")
	str(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	str(&c.SchoolHours, "school-hours", "mon-fri 07:30-17:30", "school hours (China Standard Time): a school counsellor owns new alerts in them, whoever is on duty outside them")
	str(&c.BaseURL, "base-url", "http://localhost:8080", "the address staff open, for links in e-mail and SMS")
	str(&c.SMTPURL, "smtp-url", "", "SMTP server for e-mail notifications: smtp://user:password@host:587?from=careloop@example.org")
	str(&c.SMSURL, "sms-url", "", "SMS gateway endpoint (HTTPS) for SMS notifications")
	str(&c.WeChatToken, "wechat-token", "", "WeChat official account: push token; empty disables WeChat")
	str(&c.WeChatAESKey, "wechat-aes-key", "", "WeChat official account: EncodingAESKey; set it in production (encrypted pushes only)")
	str(&c.WeChatAppID, "wechat-appid", "", "WeChat official account: AppID")
	str(&c.WeChatAppSecret, "wechat-appsecret", "", "WeChat official account: AppSecret (prefer the environment variable)")
	int64v(&c.WeChatStation, "wechat-station", "WeChat official account: id of the hotline station whose queue receives its messages (0: the city's)")
	str(&c.WeChatAPIBase, "wechat-api", "https://api.weixin.qq.com", "WeChat API base address")
	str(&c.RecordingsDir, "recordings-dir", "", "folder of sealed call recordings (default DATA/recordings; shared storage when several instances run)")
	dur(&c.RecordingRetention, "recording-retention", 180*24*time.Hour, "how long call recordings are kept before deletion")
	dur(&c.StatsEvery, "stats-every", 10*time.Minute, "how often the dashboards' figures are recomputed from the records")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

func (c *Config) validate() error {
	if c.SealKeyFile == "" {
		c.SealKeyFile = filepath.Join(c.DataDir, "seal.keys")
	}
	if c.RecordingsDir == "" {
		c.RecordingsDir = filepath.Join(c.DataDir, "recordings")
	}
	if c.RecordingRetention < 24*time.Hour {
		return fmt.Errorf("--recording-retention must be at least 24h")
	}
	if c.StatsEvery < 10*time.Second {
		return fmt.Errorf("--stats-every must be at least 10s")
	}
	switch c.SealAlgo {
	case "aes", "sm4":
	default:
		return fmt.Errorf("--seal-algo must be aes or sm4, not %q", c.SealAlgo)
	}
	switch c.AuditHash {
	case "sha256", "sm3":
	default:
		return fmt.Errorf("--audit-hash must be sha256 or sm3, not %q", c.AuditHash)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("--database-url must start with postgres://")
	}
	if c.IdleTimeout <= 0 || c.MaxSession < c.IdleTimeout {
		return fmt.Errorf("--idle-timeout must be positive and no longer than --max-session")
	}
	return nil
}

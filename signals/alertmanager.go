package signals

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Receivers are where the alerts go (scalestack:alerts): a Slack incoming webhook, a PagerDuty
// Events API v2 routing key, an e-mail address through an SMTP relay. Any may be set; with none,
// the alerts show in Alertmanager and Grafana only.
type Receivers struct {
	// Slack is an incoming webhook's URL (https://hooks.slack.com/services/...);
	// SlackChannel the channel it posts to, which DigitalOcean's alert policies must name.
	Slack        string `json:"slack,omitempty"`
	SlackChannel string `json:"slackChannel,omitempty"`
	// PagerDuty is a service's Events API v2 integration (routing) key.
	PagerDuty string `json:"pagerduty,omitempty"`
	// Email is the address alerts are sent to; SMTP is the relay that sends them.
	Email string `json:"email,omitempty"`
	SMTP  *SMTP  `json:"smtp,omitempty"`
}

// SMTP is the relay Alertmanager sends e-mail through.
type SMTP struct {
	// Smarthost is host:port, for example smtp.sendgrid.net:587.
	Smarthost string `json:"smarthost"`
	From      string `json:"from"`
	Username  string `json:"username,omitempty"`
	Password  string `json:"password,omitempty"`
}

var routingKey = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

// Empty is whether no receiver is set.
func (r Receivers) Empty() bool { return r.Slack == "" && r.PagerDuty == "" && r.Email == "" }

// Validate reports every problem, each naming its field under prefix.
func (r Receivers) Validate(prefix string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", prefix, field, fmt.Sprintf(format, args...)))
	}
	if r.Slack != "" {
		u, err := url.Parse(r.Slack)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			bad("slack", "is not an https URL (want the incoming webhook's URL, https://hooks.slack.com/services/...)")
		}
	}
	if r.SlackChannel != "" && (r.Slack == "" || !strings.HasPrefix(r.SlackChannel, "#") || len(r.SlackChannel) < 2) {
		bad("slackChannel", "%q needs slack, and names a channel (want for example #alerts, beside slack's webhook URL)", r.SlackChannel)
	}
	if r.PagerDuty != "" && !routingKey.MatchString(r.PagerDuty) {
		bad("pagerduty", "is not an Events API v2 routing key (want the 32 letters and digits of the service's integration key)")
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
			bad("email", "%q is not an e-mail address (want one address, for example oncall@example.com)", r.Email)
		}
		if r.SMTP == nil {
			bad("smtp", "is not set, and email is (want {\"smarthost\": \"smtp.example.com:587\", \"from\": \"alerts@example.com\", \"username\": ..., \"password\": ...}: Alertmanager sends mail through a relay)")
		}
	}
	if s := r.SMTP; s != nil {
		if r.Email == "" {
			bad("smtp", "is set without email (want both, or neither)")
		}
		if host, port, ok := strings.Cut(s.Smarthost, ":"); !ok || host == "" || port == "" {
			bad("smtp.smarthost", "%q is not host:port (want for example smtp.example.com:587)", s.Smarthost)
		}
		if a, err := mail.ParseAddress(s.From); err != nil || a.Address != s.From {
			bad("smtp.from", "%q is not an e-mail address (want the sender, for example alerts@example.com)", s.From)
		}
		if (s.Username == "") != (s.Password == "") {
			bad("smtp.username", "and smtp.password go together (want both, or neither for a relay without authentication)")
		}
	}
	return errors.Join(errs...)
}

// AlertmanagerConfig is Alertmanager's configuration for the receivers: every alert to them,
// grouped by alert and part, resolved ones too; kube-prometheus-stack's Watchdog (an alert
// that always fires, to prove the pipeline) and InfoInhibitor go nowhere.
func AlertmanagerConfig(r Receivers) ([]byte, error) {
	if err := r.Validate("alerts."); err != nil {
		return nil, err
	}
	receiver := map[string]any{"name": "scalestack"}
	text := `{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }} ({{ .Annotations.runbook_url }}){{ "\n" }}{{ end }}`
	if r.Slack != "" {
		slack := map[string]any{
			"api_url": r.Slack, "send_resolved": true,
			"title": `[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} {{ .CommonLabels.part }}`,
			"text":  text,
		}
		if r.SlackChannel != "" {
			slack["channel"] = r.SlackChannel
		}
		receiver["slack_configs"] = []any{slack}
	}
	if r.PagerDuty != "" {
		receiver["pagerduty_configs"] = []any{map[string]any{"routing_key": r.PagerDuty, "send_resolved": true, "description": `{{ .CommonAnnotations.summary }}`}}
	}
	if r.Email != "" {
		e := map[string]any{"to": r.Email, "from": r.SMTP.From, "smarthost": r.SMTP.Smarthost, "send_resolved": true}
		if r.SMTP.Username != "" {
			e["auth_username"], e["auth_password"] = r.SMTP.Username, r.SMTP.Password
		}
		receiver["email_configs"] = []any{e}
	}
	return yaml.Marshal(map[string]any{
		"route": map[string]any{
			"receiver": "scalestack", "group_by": []string{"alertname", "part"},
			"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h",
			"routes": []any{
				map[string]any{"matchers": []string{`alertname = "Watchdog"`}, "receiver": "null"},
				map[string]any{"matchers": []string{`alertname = "InfoInhibitor"`}, "receiver": "null"},
			},
		},
		"receivers": []any{map[string]any{"name": "null"}, receiver},
	})
}

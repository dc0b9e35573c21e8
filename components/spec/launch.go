package spec

import (
	"fmt"
	"time"
)

// LaunchWindow is a known spike (scalestack:launch): from Start, for Duration, about Users
// concurrent users. The stack raises its processes' minimums to what those users need ahead of
// Start (KEDA cron triggers), so that the pods and then the nodes are up before the spot, and
// returns to the tier's minimums after.
type LaunchWindow struct {
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	Users    int           `json:"users"`
}

// Limits of a launch window.
const (
	MinLaunchDuration = time.Minute
	MaxLaunchDuration = 7 * 24 * time.Hour
	MaxLaunchWindows  = 20
)

// Prescale is what a launch window holds: each process's minimum (by process name) from Begin
// (the window's start less the time its nodes and pods take to come up) to End.
type Prescale struct {
	Begin, End time.Time
	Pods       map[string]int
}

// CronAt is a moment as a cron schedule in UTC of its minute, hour, day and month (any weekday):
// how KEDA's cron triggers and Karpenter's disruption budgets hold a launch window. It recurs on
// that date each year.
func CronAt(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d %d %d %d *", t.Minute(), t.Hour(), t.Day(), int(t.Month()))
}

package alerts

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/scalestack/scalestack/components/internal/names"
	"github.com/scalestack/scalestack/signals"
)

// cwMetric is a CloudWatch metric a signal reads, and the statistic compared.
type cwMetric struct{ namespace, metric, dimension, statistic string }

var cwMetrics = map[string]cwMetric{
	signals.SignalDatabaseCPU:         {"AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "Average"},
	signals.SignalDatabaseConnections: {"AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "Maximum"},
	signals.SignalReplicaLag:          {"AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", "Maximum"},
	signals.SignalCacheMemory:         {"AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", "Maximum"},
	signals.SignalCacheEvictions:      {"AWS/ElastiCache", "Evictions", "CacheClusterId", "Sum"},
}

// PagerDutyCloudWatchURL is where SNS delivers to a PagerDuty service's Amazon CloudWatch
// integration, by its integration key.
const PagerDutyCloudWatchURL = "https://events.pagerduty.com/integration/%s/enqueue"

func (a *Alerts) aws(ctx *pulumi.Context, name string, s Spec, args *Args) error {
	parent := pulumi.Parent(a)
	topic, err := sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{Name: pulumi.String(names.DNS(name, 256))}, parent)
	if err != nil {
		return err
	}
	r := s.Receivers
	if r.Email != "" {
		// SNS mails a confirmation first: the address receives alarms once it is confirmed.
		if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(r.Email),
		}, parent); err != nil {
			return err
		}
	}
	if r.PagerDuty != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-pagerduty", &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("https"), EndpointAutoConfirms: pulumi.Bool(true),
			Endpoint: pulumi.ToSecret(pulumi.String(fmt.Sprintf(PagerDutyCloudWatchURL, r.PagerDuty))).(pulumi.StringOutput),
		}, parent); err != nil {
			return err
		}
	}
	actions := pulumi.Array{topic.Arn}
	alarm := func(resource, target string, al signals.Alarm) error {
		m := cwMetrics[al.Signal]
		_, err := cloudwatch.NewMetricAlarm(ctx, resource, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(names.DNS(resource, 255)),
			AlarmDescription:   pulumi.String("scalestack " + name + ": " + al.Summary),
			Namespace:          pulumi.String(m.namespace),
			MetricName:         pulumi.String(m.metric),
			Dimensions:         pulumi.StringMap{m.dimension: pulumi.String(target)},
			Statistic:          pulumi.String(m.statistic),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(al.Minutes),
			DatapointsToAlarm:  pulumi.Int(al.Minutes),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(al.Threshold),
			// No data is no load (a quiet cache publishes no evictions), never an alarm.
			TreatMissingData: pulumi.String("notBreaching"),
			AlarmActions:     actions,
			OkActions:        actions,
		}, parent)
		return err
	}
	for _, al := range s.Alarms {
		if _, ok := cwMetrics[al.Signal]; !ok {
			return fmt.Errorf("alerts %q: CloudWatch has no metric of %s here (alarm %s)", name, al.Signal, al.Name)
		}
		switch al.Signal {
		case signals.SignalCacheMemory, signals.SignalCacheEvictions:
			for _, member := range args.CacheMembers {
				if err := alarm(fmt.Sprintf("%s-%s-%s", name, al.Name, member[len(member)-8:]), member, al); err != nil {
					return err
				}
			}
		case signals.SignalReplicaLag:
			if al.Replica < 1 || al.Replica >= len(args.Databases) {
				return fmt.Errorf("alerts %q: alarm %s watches replica %d, and the database has %d", name, al.Name, al.Replica, len(args.Databases)-1)
			}
			if err := alarm(name+"-"+al.Name, args.Databases[al.Replica], al); err != nil {
				return err
			}
		default:
			if len(args.Databases) == 0 {
				return fmt.Errorf("alerts %q: alarm %s needs the database's identifier", name, al.Name)
			}
			if err := alarm(name+"-"+al.Name, args.Databases[0], al); err != nil {
				return err
			}
		}
	}
	return nil
}

DROP TABLE alerts_sent;
DROP TABLE alert_subscriptions;

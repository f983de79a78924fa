//! The consumer context that reports group rebalances: each assignment or revocation is logged with its
//! partitions, and `shockwave_consumer_assigned_partitions{consumer}` holds how many partitions the consumer
//! has, so an operator (and a test) sees a group member that holds none.

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, TopicPartitionList};

use shockwave_kit::metrics::ASSIGNED_PARTITIONS;

pub struct RebalanceReport {
    consumer: String,
}

impl RebalanceReport {
    /// Starts the consumer's gauge at 0, so a member the group never gives a partition shows 0 (which the
    /// `ConsumerGroupUnassigned` alert sums) instead of no series at all.
    pub fn new(consumer: &str) -> Self {
        ASSIGNED_PARTITIONS.with_label_values(&[consumer]).set(0);
        RebalanceReport {
            consumer: consumer.to_string(),
        }
    }

    /// Records an assignment made without the group (a self-assigned consumer).
    pub fn assigned(&self, list: &TopicPartitionList) {
        ASSIGNED_PARTITIONS
            .with_label_values(&[&self.consumer])
            .set(list.count() as i64);
    }
}

/// `topic[0,2]` per topic, sorted.
pub fn describe(list: &TopicPartitionList) -> String {
    let mut by_topic: std::collections::BTreeMap<String, Vec<i32>> = Default::default();
    for element in list.elements() {
        by_topic
            .entry(element.topic().to_string())
            .or_default()
            .push(element.partition());
    }
    by_topic
        .into_iter()
        .map(|(topic, mut partitions)| {
            partitions.sort_unstable();
            let numbers: Vec<String> = partitions.iter().map(i32::to_string).collect();
            format!("{topic}[{}]", numbers.join(","))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl ClientContext for RebalanceReport {}

impl ConsumerContext for RebalanceReport {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let consumer = self.consumer.as_str();
        match rebalance {
            Rebalance::Assign(list) => {
                self.assigned(list);
                tracing::info!(
                    consumer,
                    partitions = %describe(list),
                    "partitions assigned by the group"
                );
            }
            Rebalance::Revoke(list) => {
                ASSIGNED_PARTITIONS.with_label_values(&[consumer]).set(0);
                tracing::info!(consumer, partitions = %describe(list), "partitions revoked");
            }
            Rebalance::Error(error) => tracing::warn!(consumer, %error, "rebalance failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_consumer_reports_zero_partitions_until_the_group_assigns_some() {
        let series = "shockwave_consumer_assigned_partitions{consumer=\"never_assigned_group\"} 0";
        assert!(!shockwave_kit::metrics::render().contains(series));
        let _report = RebalanceReport::new("never_assigned_group");
        assert!(shockwave_kit::metrics::render().contains(series));
    }

    #[test]
    fn partitions_are_listed_per_topic_in_order() {
        let mut list = TopicPartitionList::new();
        list.add_partition("b", 2);
        list.add_partition("a", 3);
        list.add_partition("b", 0);
        assert_eq!(describe(&list), "a[3] b[0,2]");
    }
}

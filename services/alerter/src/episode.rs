//! One alert per real shock: a subject's daily and hourly detectors often see the same episode. Their shocks
//! in one direction that overlap in time are merged into one episode, which opens with the first of them
//! (and takes its id), is updated by any of them, and resolves when the last of them resolves.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use shockwave_schemas::{Direction, SentimentShockDetected, ShockStatus};
use uuid::Uuid;

#[derive(Debug, Clone)]
struct Episode {
    id: Uuid,
    window_start: DateTime<Utc>,
    members: BTreeSet<Uuid>,
}

/// The episodes of one subject.
#[derive(Debug, Clone, Default)]
pub struct Episodes {
    open: HashMap<Direction, Episode>,
}

impl Episodes {
    /// Whether an episode is open.
    pub fn any_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// The ids of the open episodes.
    pub fn open_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.open.values().map(|e| e.id)
    }

    /// A detector's event, as what it means for the episode: `None` when the episode does not change.
    pub fn merge(&mut self, event: SentimentShockDetected) -> Option<SentimentShockDetected> {
        let direction = event.direction;
        let as_episode = |episode: &Episode, status, mut event: SentimentShockDetected| {
            event.shock_id = episode.id;
            event.window_start = episode.window_start;
            event.status = status;
            event
        };
        match event.status {
            ShockStatus::Open => match self.open.get_mut(&direction) {
                Some(episode) => {
                    episode.members.insert(event.shock_id);
                    Some(as_episode(episode, ShockStatus::Updated, event))
                }
                None => {
                    self.open.insert(
                        direction,
                        Episode {
                            id: event.shock_id,
                            window_start: event.window_start,
                            members: BTreeSet::from([event.shock_id]),
                        },
                    );
                    Some(event)
                }
            },
            ShockStatus::Updated => {
                let episode = self.open.get(&direction)?;
                episode
                    .members
                    .contains(&event.shock_id)
                    .then(|| as_episode(episode, ShockStatus::Updated, event))
            }
            ShockStatus::Resolved => {
                let episode = self.open.get_mut(&direction)?;
                if !episode.members.remove(&event.shock_id) || !episode.members.is_empty() {
                    return None;
                }
                let episode = self.open.remove(&direction)?;
                Some(as_episode(&episode, ShockStatus::Resolved, event))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use shockwave_schemas::SubjectKind;

    use super::*;

    fn event(id: u128, status: ShockStatus, hour: u32) -> SentimentShockDetected {
        SentimentShockDetected {
            shock_id: Uuid::from_u128(id),
            status,
            subject_kind: SubjectKind::Topic,
            subject: "ai_efficiency".into(),
            direction: Direction::Negative,
            statistic: "window_z_daily".into(),
            magnitude: -4.0,
            window_start: Utc.with_ymd_and_hms(2025, 1, 26, hour, 0, 0).unwrap(),
            window_end: Utc.with_ymd_and_hms(2025, 1, 26, hour, 30, 0).unwrap(),
            baseline_mean: 0.1,
            baseline_std: 0.2,
            observed_mean: -0.5,
            article_count: 6,
            evidence: vec![],
            basket: vec![],
        }
    }

    #[test]
    fn overlapping_shocks_of_two_resolutions_are_one_episode() {
        let mut episodes = Episodes::default();
        let opened = episodes.merge(event(1, ShockStatus::Open, 10)).unwrap();
        assert_eq!(opened.status, ShockStatus::Open);
        let second = episodes.merge(event(2, ShockStatus::Open, 12)).unwrap();
        assert_eq!(
            (second.shock_id, second.status),
            (Uuid::from_u128(1), ShockStatus::Updated)
        );
        assert_eq!(second.window_start, opened.window_start);
        assert!(
            episodes
                .merge(event(1, ShockStatus::Resolved, 14))
                .is_none()
        );
        assert!(episodes.any_open());
        let resolved = episodes.merge(event(2, ShockStatus::Resolved, 15)).unwrap();
        assert_eq!(
            (resolved.shock_id, resolved.status),
            (Uuid::from_u128(1), ShockStatus::Resolved)
        );
        assert!(!episodes.any_open());
        let next = episodes.merge(event(3, ShockStatus::Open, 20)).unwrap();
        assert_eq!(
            next.shock_id,
            Uuid::from_u128(3),
            "a later shock is a new episode"
        );
    }
}

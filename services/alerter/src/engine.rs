//! The detection engine over all subjects, in event time. Scored articles arrive in any order (the scorer
//! works in parallel); the engine holds them until the watermark (the latest article time seen, less an
//! allowed lateness) passes them, then feeds each subject's daily and hourly detectors in time order, at
//! every article and at every instant an article leaves a window (an open shock can calm down without new
//! news). The same articles therefore give the same shocks, whatever the batching: a restart that rebuilds
//! the engine from all stored articles at once raises exactly what the live run raised. An article older
//! than the watermark when it arrives (a backfill, a slow feed) is late: its subject is then rebuilt from its
//! whole stored history, which raises what that history holds (states raised before keep their ids), and
//! open shocks the corrected history no longer has are resolved as superseded.

use std::collections::{BTreeMap, HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use shockwave_schemas::{SentimentShockDetected, ShockStatus, SubjectKind};
use uuid::Uuid;

use crate::detector::{Detector, Observation};
use crate::episode::Episodes;
use crate::tuning::{Resolution, Tuning};

/// A scored article about one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub subject_kind: SubjectKind,
    pub subject: String,
    pub observation: Observation,
}

/// Article times further ahead of the wall clock than this are treated as this far ahead, so one article
/// with a wrong date cannot push the watermark into the future.
const MAX_AHEAD: Duration = Duration::minutes(5);

struct SubjectState {
    detectors: Vec<Detector>,
    episodes: Episodes,
    /// Articles not yet fed, in (time, id) order.
    pending: VecDeque<Observation>,
    /// The last instant fed.
    cursor: DateTime<Utc>,
}

impl SubjectState {
    /// Feeds every instant before `watermark`: window expiries first, then articles, at equal times.
    fn advance_to(&mut self, watermark: DateTime<Utc>) -> Vec<SentimentShockDetected> {
        let mut raised = Vec::new();
        loop {
            let next_article = self
                .pending
                .front()
                .map(|o| o.at)
                .filter(|at| *at < watermark);
            let next_expiry = self
                .detectors
                .iter()
                .filter(|d| d.is_open())
                .filter_map(|d| d.next_expiry_after(self.cursor))
                .filter(|at| *at < watermark)
                .min();
            match (next_expiry, next_article) {
                (Some(expiry), article) if article.is_none_or(|a| expiry <= a) => {
                    for detector in &mut self.detectors {
                        if detector.is_open()
                            && detector.next_expiry_after(self.cursor) == Some(expiry)
                        {
                            for event in detector.advance(expiry) {
                                raised.extend(self.episodes.merge(event));
                            }
                        }
                    }
                    self.cursor = expiry;
                }
                (_, Some(at)) => {
                    let observation = self.pending.pop_front().expect("a next article");
                    for detector in &mut self.detectors {
                        for event in detector.observe(observation.clone()) {
                            raised.extend(self.episodes.merge(event));
                        }
                    }
                    self.cursor = at;
                }
                (_, None) => break,
            }
        }
        raised
    }
}

/// What one call to [`Engine::ingest`] did.
#[derive(Debug, Default)]
pub struct Ingested {
    /// Episode events, in time order per subject.
    pub raised: Vec<SentimentShockDetected>,
    /// Articles that arrived after the watermark had passed their time.
    pub late: usize,
    /// The subjects of late articles, to rebuild with [`Engine::rebuild`].
    pub late_subjects: Vec<(SubjectKind, String)>,
    /// Articles seen before (a redelivered batch).
    pub repeated: usize,
}

pub struct Engine {
    tuning: Tuning,
    /// Tickers exposed to each topic.
    baskets: BTreeMap<String, Vec<String>>,
    lateness: Duration,
    subjects: BTreeMap<(String, String), SubjectState>,
    seen: HashSet<(Uuid, String, String)>,
    watermark: Option<DateTime<Utc>>,
    /// The newest article time seen (held to the wall clock plus [`MAX_AHEAD`]).
    newest: Option<DateTime<Utc>>,
}

fn kind_name(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Topic => "topic",
        SubjectKind::Ticker => "ticker",
    }
}

impl Engine {
    pub fn new(tuning: Tuning, baskets: BTreeMap<String, Vec<String>>, lateness: Duration) -> Self {
        Engine {
            tuning,
            baskets,
            lateness,
            subjects: BTreeMap::new(),
            seen: HashSet::new(),
            watermark: None,
            newest: None,
        }
    }

    /// Instants before this have been fed to the detectors.
    pub fn watermark(&self) -> Option<DateTime<Utc>> {
        self.watermark
    }

    /// Every subject seen, with whether an episode is open on it.
    pub fn subjects(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.subjects
            .iter()
            .map(|((kind, subject), s)| (kind.as_str(), subject.as_str(), s.episodes.any_open()))
    }

    /// Subjects with an open episode.
    pub fn open_subjects(&self) -> impl Iterator<Item = (&str, &str)> {
        self.subjects()
            .filter(|(_, _, open)| *open)
            .map(|(kind, subject, _)| (kind, subject))
    }

    /// Replaces a subject's detectors with ones fed its whole `history` (every stored article about it, in
    /// any order) up to the watermark. Returns what that history raises, then a resolution, at the watermark,
    /// for each shock in `open_before` (the subject's shocks raised as open so far) that it leaves closed.
    pub fn rebuild(
        &mut self,
        kind: SubjectKind,
        subject: &str,
        mut history: Vec<Observation>,
        open_before: &[SentimentShockDetected],
    ) -> Vec<SentimentShockDetected> {
        let Some(watermark) = self.watermark else {
            return Vec::new();
        };
        self.subjects
            .remove(&(kind_name(kind).to_string(), subject.to_string()));
        history.sort_by_key(|o| (o.at, o.article_id));
        history.dedup_by_key(|o| o.article_id);
        for o in &history {
            self.seen.insert((
                o.article_id,
                kind_name(kind).to_string(),
                subject.to_string(),
            ));
        }
        let state = self.state(kind, subject);
        state.pending = history.into();
        let mut raised = state.advance_to(watermark);
        let still_open: HashSet<Uuid> = state.episodes.open_ids().collect();
        let resolved_again: HashSet<Uuid> = raised
            .iter()
            .filter(|e| e.status == ShockStatus::Resolved)
            .map(|e| e.shock_id)
            .collect();
        for shock in open_before {
            if !still_open.contains(&shock.shock_id) && !resolved_again.contains(&shock.shock_id) {
                let mut resolved = shock.clone();
                resolved.status = ShockStatus::Resolved;
                resolved.statistic = "superseded".into();
                resolved.window_end = watermark.max(shock.window_end);
                raised.push(resolved);
            }
        }
        raised
    }

    fn state(&mut self, kind: SubjectKind, subject: &str) -> &mut SubjectState {
        let key = (kind_name(kind).to_string(), subject.to_string());
        if !self.subjects.contains_key(&key) {
            let basket = match kind {
                SubjectKind::Topic => self.baskets.get(subject).cloned().unwrap_or_default(),
                SubjectKind::Ticker => vec![subject.to_string()],
            };
            let detectors = Resolution::ALL
                .into_iter()
                .map(|resolution| {
                    Detector::new(
                        kind,
                        subject,
                        basket.clone(),
                        resolution.as_str(),
                        self.tuning.config(subject, resolution),
                    )
                })
                .collect();
            self.subjects.insert(
                key.clone(),
                SubjectState {
                    detectors,
                    episodes: Episodes::default(),
                    pending: VecDeque::new(),
                    cursor: DateTime::<Utc>::MIN_UTC,
                },
            );
        }
        self.subjects.get_mut(&key).expect("inserted above")
    }

    /// Adds scored articles, moves the watermark and returns the shocks it raised, opened, updated or resolved.
    pub fn ingest(&mut self, scored: Vec<Scored>, wall_clock: DateTime<Utc>) -> Ingested {
        let mut out = Ingested::default();
        let mut frontier = self.newest;
        for item in scored {
            let key = (
                item.observation.article_id,
                kind_name(item.subject_kind).to_string(),
                item.subject.clone(),
            );
            if !self.seen.insert(key) {
                out.repeated += 1;
                continue;
            }
            let at = item.observation.at;
            if self.watermark.is_some_and(|w| at < w) {
                out.late += 1;
                let subject = (item.subject_kind, item.subject);
                if !out.late_subjects.contains(&subject) {
                    out.late_subjects.push(subject);
                }
                continue;
            }
            frontier = frontier.max(Some(at.min(wall_clock + MAX_AHEAD)));
            let state = self.state(item.subject_kind, &item.subject);
            let position = state.pending.partition_point(|o| {
                (o.at, o.article_id) < (item.observation.at, item.observation.article_id)
            });
            state.pending.insert(position, item.observation);
        }
        let Some(frontier) = frontier else {
            return out;
        };
        self.newest = Some(frontier);
        out.raised = self.advance_to(frontier - self.lateness);
        out
    }

    /// Feeds every article held back for the allowed lateness: the watermark moves just past the newest
    /// article seen. For a stream gone quiet, so that a sparse feed's last articles do not wait for the next
    /// one; an older article arriving afterwards is late, and its subject is rebuilt as usual.
    pub fn catch_up(&mut self) -> Vec<SentimentShockDetected> {
        match self.newest {
            Some(newest) => self.advance_to(newest + Duration::microseconds(1)),
            None => Vec::new(),
        }
    }

    /// Moves the watermark forward to `to` (never back) and feeds every subject up to it.
    fn advance_to(&mut self, to: DateTime<Utc>) -> Vec<SentimentShockDetected> {
        let watermark = self.watermark.map_or(to, |w| w.max(to));
        self.watermark = Some(watermark);
        self.subjects
            .values_mut()
            .flat_map(|state| state.advance_to(watermark))
            .collect()
    }
}

#[cfg(test)]
mod tests;

-- The event a dead letter was made from, when its original decoded as one (a stage refused it after reading it):
-- lets the alerter tell an article that will never be projected from one that is not projected yet.
ALTER TABLE dead_letters ADD COLUMN event_id uuid;
CREATE INDEX dead_letters_event ON dead_letters (event_id) WHERE event_id IS NOT NULL;

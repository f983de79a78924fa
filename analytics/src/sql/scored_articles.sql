SELECT published_at, score FROM active_article_subjects WHERE subject_kind = $1 AND subject = $2 ORDER BY published_at, article_id

-- Sentiment values out of range: compound outside [-1, 1], unknown labels, or a label without a
-- score (text that cannot be scored has NULL compound AND NULL label, never 0).
SELECT target_kind, target_id, compound, label
FROM sentiment
WHERE compound NOT BETWEEN -1 AND 1
   OR (label IS NOT NULL AND label NOT IN ('negative', 'neutral', 'positive'))
   OR (compound IS NULL) <> (label IS NULL)

package audit

// Hooks for the external tests.

// SignCheckpoint signs any tree head, as a forger with a key would.
var SignCheckpoint = signCheckpoint

// FindCitizenID exposes the citizen ID guard.
var FindCitizenID = findCitizenID

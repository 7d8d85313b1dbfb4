-- Portcullis schema, migration 7: what the admin console's finding aids read.
-- Frozen once shipped: later changes go in new numbered files.

-- A user's memberships, inactive ones included (team_members_authorization holds only the active ones), in team order.
CREATE INDEX team_members_user ON team_members (user_id, team_id);

-- Logical replication (README "Backup and restore"): every published table
-- needs a replica identity for its UPDATEs and DELETEs; gl_account_map has
-- no primary key (its unique key has a nullable column), so the whole row.
ALTER TABLE revrec.gl_account_map REPLICA IDENTITY FULL;

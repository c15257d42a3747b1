-- The typosquat check's rule Y1 refuses a new name whose skeleton (lower case, without "-", "." and "_";
-- registry/security/typosquat.ts `skeleton`) is that of an existing name. It was answered from an in-memory copy
-- of every name of the registry (38 MB of the registry's heap at 100,000 packages, docs/PERFORMANCE.md "Scale");
-- this index answers it from registry.db, and only the protected (popular) names stay in memory
-- (registry/security/known-names.ts, whose query must use this exact expression). lower() folds ASCII only, which
-- is all every ecosystem's name rules allow. The exact-name check uses 051's packages_search_name.
-- The comment of 022's known_names_generation still holds for the names kept in memory.
CREATE INDEX packages_name_skeleton ON packages(ecosystem, replace(replace(replace(lower(name), '-', ''), '.', ''), '_', ''));

-- Search that forgives accents and case, as people type on a phone: "infirmiere" finds "infirmière", "Perigueux"
-- finds "Périgueux". The embedded PostgreSQL has no `unaccent` extension, so the folding is a plain IMMUTABLE
-- function (lower case, Latin letters without their marks), usable in a generated column and an index; a query is
-- folded by the same function, so both sides always agree.
CREATE FUNCTION chiffres_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT replace(replace(replace(translate(lower($1),
        'àáâãäåāăąçćĉčďèéêëēĕėęěìíîïĩīįñńňòóôõöøōőùúûüũūůűųýÿźżžšśŕřľĺłţťğ',
        'aaaaaaaaaccccdeeeeeeeeeiiiiiiinnnoooooooouuuuuuuuuyyzzzssrrlllttg'), 'œ', 'oe'), 'æ', 'ae'), 'ß', 'ss') $$;

ALTER TABLE figures ADD COLUMN search_folded tsvector GENERATED ALWAYS AS (
    to_tsvector('french'::regconfig, chiffres_fold(search_text))
    || to_tsvector('english'::regconfig, chiffres_fold(search_text))
) STORED;
CREATE INDEX figures_search_folded ON figures USING gin (search_folded);

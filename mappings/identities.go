package mappings

import (
	"fmt"
	"maps"
	"strings"
)

// People go by different names in different tools (a Jira account, a GitHub login, an
// old email). The identities section says which names are one person, so that the
// people view can count them once.

// aliasAt is where an alias (or canonical identity) was written, for duplicate problems.
type aliasAt struct {
	canonical string
	pos       Pos
}

// identities compiles the identities section into mp.aliases (alias → canonical).
func (c *compiler) identities(ids *Identities) {
	if ids == nil {
		return
	}
	canon := map[string]aliasAt{} // lower-cased canonical identities
	seen := map[string]aliasAt{}  // lower-cased aliases
	c.mp.aliases = map[string]string{}
	c.mp.foldedAliases = map[string]string{}
	for i, a := range ids.Aliases {
		key := fmt.Sprintf("identities.aliases[%d]", i)
		if a == nil {
			c.add(ids.at("aliases"), key, "empty alias entry: give canonical and also")
			continue
		}
		cn := strings.TrimSpace(a.Canonical)
		if cn == "" {
			c.hint(a.at("canonical"), key+".canonical", "canonical: ana.lima@acme.example", "missing canonical: the identity the others are")
			continue
		}
		if len(a.Also) == 0 {
			c.hint(a.at("also"), key+".also", `also: ["acme-gh:ana", "ana@old-domain.com"]`, "missing also: the other names of %s", cn)
			continue
		}
		if prev, ok := seen[strings.ToLower(cn)]; ok {
			c.hint(a.at("canonical"), key+".canonical", "an identity is either canonical or an alias; chains are not followed",
				"%s is already an alias of %s (line %d)", cn, prev.canonical, prev.pos.Line)
		}
		if _, ok := canon[strings.ToLower(cn)]; !ok {
			canon[strings.ToLower(cn)] = aliasAt{canonical: cn, pos: a.at("canonical")}
		}
		for _, al := range a.Also {
			al = strings.TrimSpace(al)
			lal := strings.ToLower(al)
			switch prevCanon, isCanon := canon[lal]; {
			case al == "":
				c.add(a.at("also"), key+".also", "empty alias")
				continue
			case lal == strings.ToLower(cn):
				c.add(a.at("also"), key+".also", "%s names itself", al)
				continue
			case isCanon:
				c.hint(a.at("also"), key+".also", "an identity is either canonical or an alias; chains are not followed",
					"%s is the canonical identity of an alias entry (line %d)", al, prevCanon.pos.Line)
				continue
			}
			if prev, dup := seen[lal]; dup {
				c.add(a.at("also"), key+".also", "%s is already an alias of %s (line %d)", al, prev.canonical, prev.pos.Line)
				continue
			}
			seen[lal] = aliasAt{canonical: cn, pos: a.at("also")}
			c.mp.aliases[al] = cn
			c.mp.foldedAliases[lal] = cn
		}
	}
}

// Aliases returns the identities section as alias → canonical identity, with the names
// as written in the mapping. Empty when the mapping has no identities.
func (mp *Mapper) Aliases() map[string]string {
	if mp.aliases == nil {
		return map[string]string{}
	}
	return maps.Clone(mp.aliases)
}

// CanonicalPerson resolves a person id or email through the identities aliases: the
// canonical identity, matched exactly and then case-insensitively (emails vary in case),
// or id itself when it is no alias.
func (mp *Mapper) CanonicalPerson(id string) string {
	if cn, ok := mp.aliases[id]; ok {
		return cn
	}
	if cn, ok := mp.foldedAliases[strings.ToLower(strings.TrimSpace(id))]; ok {
		return cn
	}
	return id
}

// personCols are the people columns the engine reads to fill canonical_id.
type personCols struct{ canonical, id, email int }

// canonicalFor is a person's canonical id from the aliases: the canonical name an alias of
// the identity or of its e-mail points to ("email:<address>" when that name is an e-mail),
// or "" when no alias names the person (the view then falls back to the e-mail).
func (mp *Mapper) canonicalFor(id, email string) string {
	cn := mp.CanonicalPerson(id)
	if cn == id {
		if email == "" {
			return ""
		}
		if cn = mp.CanonicalPerson(email); cn == email {
			return ""
		}
	}
	if strings.Contains(cn, "@") {
		return "email:" + strings.ToLower(strings.TrimSpace(cn))
	}
	return cn
}

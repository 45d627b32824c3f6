package metadata

import "regexp/syntax"

type syntaxErr = syntax.Error

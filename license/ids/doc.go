// Package ids checks and builds the identifiers that electronic licences
// (电子证照) carry and name their holders by:
//
//   - the electronic license identifier of GB/T 36904-2018 (电子证照标识),
//     1.2.156.3005.2.<证照类型代码>.<证照颁发机构代码>.<流水号>.<版本号>.<校验位>;
//   - the unified social credit code of GB 32100-2015 (统一社会信用代码),
//     with the organisation code of GB 11714-1997 inside it;
//   - the citizen identity number of GB 11643-1999 (公民身份号码).
//
// Every check character is verified, and every rejection is an *Error that
// names the character position, what is wrong with it and, for check
// characters, the character that was expected. errors.Is(err, ErrCheck)
// separates a likely typo (the code is well formed but its check character
// does not match) from input that is not shaped like the code (ErrFormat).
//
// Errors about citizen identity numbers never repeat the number: they quote
// its masked form (MaskCitizenID), so that they can be logged.
package ids

package wsdl

// The generated packages are committed; TestGeneratedCodeIsCurrent fails when
// they differ from what these commands produce.

//go:generate go tool gowsdl -d . -p vehicle -o vehicle.go vehicle.wsdl
//go:generate go tool gowsdl -d . -p bank -o bank.go bank.wsdl

enum ETLTestsPlaceholder {}

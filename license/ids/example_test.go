package ids_test

import (
	"errors"
	"fmt"

	"github.com/eseal-project/eseal/license/ids"
)

func ExampleNewLicenseID() {
	// 建筑施工特种作业人员操作资格证书 (type 11100000000013338W032, defined by
	// MOHURD) issued by 吉林省住房和城乡建设厅 as serial 2430599.
	id, err := ids.NewLicenseID("11100000000013338W032", "11220000013544541J", 2430599, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id)
	fmt.Println(id.Next(2))
	// Output:
	// 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F
	// 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.002.D
}

func ExampleParseLicenseID() {
	_, err := ids.ParseLicenseID("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430959.001.F")
	fmt.Println(errors.Is(err, ids.ErrCheck))
	fmt.Println(err)
	// Output:
	// true
	// ids: electronic license identifier "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430959.001.F": character 69: check character is 'F', expected 'J' (ISO/IEC 7064 MOD 37,36 over the segments after the root); a character was probably mistyped or two neighbours swapped; compare the code with the document it was copied from
}

func ExampleValidateUSCC() {
	fmt.Println(ids.ValidateUSCC("914403001922038216"))
	fmt.Println(ids.ValidateUSCC("9144I3001922038216"))
	// Output:
	// <nil>
	// ids: USCC "9144I3001922038216": character 5 'I' is not allowed in a USCC (I, O, Z, S, V are never used)
}

func ExampleValidateCitizenID() {
	fmt.Println(ids.ValidateCitizenID("11010519491231002X"))
	fmt.Println(ids.ValidateCitizenID("110105194912310021"))
	// Output:
	// <nil>
	// ids: citizen identity number "110105********0021": character 18: check character is '1', expected 'X'; a character was probably mistyped or two neighbours swapped; compare the code with the document it was copied from
}

func ExampleMaskName() {
	fmt.Println(ids.MaskName("张三"), ids.MaskName("张小三"), ids.MaskName("欧阳娜娜"))
	// Output:
	// 张* 张*三 欧**娜
}

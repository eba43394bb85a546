-- +goose Up
CREATE TABLE IF NOT EXISTS `product_req_signoffs_history` (
  `change_id` INT NOT NULL AUTO_INCREMENT,
  `changed_by` VARCHAR(100) NOT NULL,
  `timestamp` BIGINT NOT NULL,
  `product` VARCHAR(15) NOT NULL,
  `channel` VARCHAR(75) NOT NULL,
  `role` VARCHAR(50) NOT NULL,
  `signoffs_required` INT NULL,
  `data_version` INT NULL,
  PRIMARY KEY (`change_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `product_req_signoffs_history`;
